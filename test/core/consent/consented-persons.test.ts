import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConsentedSet } from '../../../consent/gate-projection.ts';
import { ConsentGate } from '../../../core/consent/consent-gate.ts';
import { consentedPersons, ConsentedPersons } from '../../../core/consent/consented-persons.ts';
import { publishNotice } from '../../../core/consent/notices.ts';
import { profilingConsent } from '../../../core/consent/profiling-consent.ts';
import { PROFILING_PURPOSE } from '../../../core/consent/profiling-purpose.ts';
import { definePurpose } from '../../../core/consent/purposes.ts';
import { recordConsentEvents } from '../../../core/consent/record-consent-event.ts';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import { IdentifierKeys } from '../../../core/identifiers/identifier-keys.ts';
import { consentSubjectOf } from '../../../core/one-id/person-subject.ts';
import { collectPsiInput } from '../../../core/psi/psi-input.ts';
import { replaceTagValues } from '../../../core/tags/tag-value-store.ts';
import { insertComputedValues } from '../../../core/tags/write-computed-values.ts';
import { setFirstPartyRegime } from '../../../core/tenancy/first-party-regime.ts';
import { ensureTenant } from '../../../core/tenancy/tenants.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';
import { mergePerson } from '../tags/profile-fixtures.ts';
import { addPersons, defineStaticTag } from '../segments/segment-fixtures.ts';

const MATCHING = 'audience.matching';

describe.each(storageBackends)('consented persons on %s', (backend) => {
  let t: TestDatabase;
  let brand: string;
  let p: number[];
  let noticeId: string;
  const gate = new ConsentGate();
  const inBrand = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, brand, work);
  let n = 0;
  const record = (person: number, purpose: string, kind: 'given' | 'withdrawn' | 'refused', recipient?: string) =>
    inBrand((trx) =>
      recordConsentEvents(trx, [
        { clientEventId: `e${++n}`, subject: consentSubjectOf(person), purpose, recipient, regime: 'pipl', kind, ...(kind === 'given' ? { noticeId } : {}), channel: 'app', source: 'test', collectedAt: new Date(Date.now() + 1_000 + n) },
      ]),
    );
  const later = () => new Date(Date.now() + 60_000);
  const profiling = (persons: number[]) => inBrand((trx) => profilingConsent(trx, gate, persons, { activity: 'test', actor: 'test', at: later() }));
  const refusal = async (work: Promise<unknown>) => {
    try {
      await work;
    } catch (error) {
      return (error as { code?: string }).code;
    }
    return 'accepted';
  };

  beforeEach(async () => {
    t = await openTestDatabase(backend);
    brand = (await ensureTenant(t.db, 'brand')).id;
    p = await addPersons(t.db, brand, 4);
    noticeId = await inBrand(async (trx) => {
      await definePurpose(trx, { key: MATCHING, name: 'Matching', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, retentionDays: null, sensitiveCategory: null, requiresNamedRecipient: true, crossBorder: false, publicDisclosure: false });
      return (await publishNotice(trx, { noticeKey: 'member', language: 'zh-CN', content: '会员通知', purposes: [PROFILING_PURPOSE, MATCHING], recipients: ['douyin', 'tencent'], dataCategories: [] })).id;
    });
  });
  afterEach(() => t.dispose());

  it('every tenant has the profiling purpose, and under PIPL silence is no consent', async () => {
    const purpose = await inBrand((trx) => trx.selectFrom('consent_purposes').select(['key', 'legal_basis']).where('key', '=', PROFILING_PURPOSE).executeTakeFirstOrThrow());
    expect(purpose.legal_basis).toEqual({ pipl: 'consent', gdpr: 'consent', ccpa: 'opt_out' });
    await record(p[0]!, PROFILING_PURPOSE, 'given');
    await record(p[1]!, PROFILING_PURPOSE, 'refused');
    const allowed = await profiling(p);
    expect(allowed.ids()).toEqual([p[0]]);
    expect(allowed).toMatchObject({ purpose: PROFILING_PURPOSE, regime: 'pipl', candidates: 4, size: 1, denied: { noConsent: 2, refused: 1, expired: 0 } });
    // Under an opt-out regime silence allows; the PIPL refusal is that regime's, not this one's.
    await setFirstPartyRegime(t.db, brand, 'ccpa', 'test');
    expect((await profiling(p)).ids()).toEqual(p);
    const audit = await inBrand((trx) => trx.selectFrom('audit_events').select(['action', 'details']).where('action', '=', 'tenant.first_party_regime.changed').execute());
    expect(audit).toEqual([{ action: 'tenant.first_party_regime.changed', details: { from: 'pipl', to: 'ccpa' } }]);
  });

  it('gates an absorbed person through its survivor, a person only with consent for every recipient, and leaves out persons that do not exist', async () => {
    const [a, b, c, d] = p as [number, number, number, number];
    for (const person of [a, b, c]) await record(person, MATCHING, 'given', 'douyin');
    for (const person of [a, b, d]) await record(person, MATCHING, 'given', 'tencent');
    await record(b, MATCHING, 'withdrawn', 'douyin');
    // d granted douyin itself, but it was absorbed by b, who withdrew it.
    await record(d, MATCHING, 'given', 'douyin');
    await mergePerson(t.db, brand, d, b);
    const allowed = await inBrand((trx) => consentedPersons(trx, gate, [d, c, b, a, a, 999_999_999], { purpose: MATCHING, recipients: ['douyin', 'tencent'], regime: 'pipl', activity: 'test', actor: 'test', at: later() }));
    expect(allowed.ids()).toEqual([a]);
    // c is refused by the second recipient only: each person is counted once, at its first refusal.
    expect(allowed).toMatchObject({ candidates: 4, size: 1, recipients: ['douyin', 'tencent'], denied: { noConsent: 1, refused: 2, expired: 0 } });
    const records = await inBrand((trx) => trx.selectFrom('processing_records').select(['subjects_in', 'subjects_out', 'details']).where('activity', '=', 'test').orderBy('started_at').orderBy('subjects_in', 'desc').execute());
    expect(records.map((r) => [r.subjects_in, r.subjects_out, (r.details as { gate: { recipient: string } }).gate.recipient])).toEqual([
      [4, 2, 'douyin'],
      [2, 1, 'tencent'],
    ]);
  });

  it('is refused by every consumer when forged, copied or made for another purpose, and writes nothing', async () => {
    await defineStaticTag(t.db, brand, 'vip');
    await record(p[0]!, PROFILING_PURPOSE, 'given');
    await record(p[0]!, MATCHING, 'given', 'douyin');
    const genuine = await profiling(p);
    const forEveryone = { purpose: PROFILING_PURPOSE, recipients: [''], regime: 'pipl', candidates: 4, size: 4, has: () => true, ids: () => p, denied: { noConsent: 0, refused: 0, expired: 0 }, evaluatedAtSeq: 99 };
    const matching = await inBrand((trx) => consentedPersons(trx, gate, p, { purpose: MATCHING, recipients: ['douyin'], regime: 'pipl', activity: 'test', actor: 'test', at: later() }));
    const forgeries: unknown[] = [forEveryone, { ...genuine }, Object.create(ConsentedPersons.prototype), new Proxy(genuine, {}), matching];
    const everyone = new Map(p.map((person) => [person, true]));
    const rows = sql<{ tag_key: string; person_id: number; value: unknown }>`select 'vip'::text as tag_key, id as person_id, true as value from persons`;
    for (const forged of forgeries) {
      expect(await refusal(inBrand((trx) => insertComputedValues(trx, rows, 'test', forged as ConsentedPersons)))).toBe('ACCORD_ERR_CONSENT_NOT_GATED');
      expect(await refusal(inBrand((trx) => replaceTagValues(trx, 'vip', everyone, 'test', forged as ConsentedPersons)))).toBe('ACCORD_ERR_CONSENT_NOT_GATED');
    }
    expect(() => {
      class Forged extends ConsentedPersons {
        constructor() {
          super(Symbol('minted from the consent gate'), { ids: Float64Array.from(p), purpose: PROFILING_PURPOSE, recipients: [''], regime: 'pipl', at: new Date(), candidates: 4, denied: { noConsent: 0, refused: 0, expired: 0 }, evaluatedAtSeq: 1 });
        }
      }
      return new Forged();
    }).toThrow(expect.objectContaining({ code: 'ACCORD_ERR_CONSENT_NOT_GATED' }));
    // Its ids are a copy: changing them changes nobody's consent.
    const ids = genuine.ids();
    ids.push(p[1]!);
    expect(genuine.has(p[1]!)).toBe(false);
    expect(await inBrand((trx) => trx.selectFrom('tag_values').select('person_id').execute())).toEqual([]);
    // The genuine one writes for its persons only, whatever the query returns.
    expect(await inBrand((trx) => insertComputedValues(trx, rows, 'test', genuine))).toBe(1);
  });

  it('refuses a gate that answers with a forged set or for other subjects, on every path that asks one', async () => {
    await record(p[0]!, MATCHING, 'given', 'douyin');
    const real = await inBrand((trx) => gate.evaluate(trx, { keys: new Uint32Array(0), purpose: MATCHING, recipient: 'douyin', regime: 'pipl', at: later(), activity: 'test', actor: 'test' }));
    const liar = (answer: unknown) => ({ evaluate: async () => answer }) as unknown as ConsentGate;
    const literal = { purpose: MATCHING, recipient: 'douyin', regime: 'pipl', at: new Date(), keys: new Uint32Array(0), size: 0, has: () => true, denied: { noConsent: 0, refused: 0, expired: 0 }, evaluatedAtSeq: 1 } as unknown as ConsentedSet;
    const request = { purpose: MATCHING, recipients: ['douyin'], regime: 'pipl' as const, activity: 'test', actor: 'test' };
    expect(await refusal(inBrand((trx) => consentedPersons(trx, liar(literal), p, request)))).toBe('ACCORD_ERR_CONSENT_NOT_GATED');
    // A genuine answer, but about no one: it cannot stand for the four persons asked about.
    expect(await refusal(inBrand((trx) => consentedPersons(trx, liar(real), p, request)))).toBe('ACCORD_ERR_CONSENT_NOT_GATED');
    const psi = { segmentId: null, idTypes: ['email'], purpose: MATCHING, recipients: ['douyin'], regime: 'pipl' as const, collaborationId: '00000000-0000-4000-8000-000000000000', actor: 'test' };
    expect(await refusal(inBrand((trx) => collectPsiInput(trx, liar(literal), new IdentifierKeys(new Uint8Array(32).fill(1)), psi)))).toBe('ACCORD_ERR_CONSENT_NOT_GATED');
  });
});

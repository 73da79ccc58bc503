import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import { checkConsent } from '../../../core/consent/check-consent.ts';
import { disableNotice, publishNotice, type Notice } from '../../../core/consent/notices.ts';
import { definePurpose } from '../../../core/consent/purposes.ts';
import { recordConsentEvent, recordConsentEvents, type ConsentEventInput } from '../../../core/consent/record-consent-event.ts';
import { verifyConsentLog } from '../../../core/consent/verify-consent-log.ts';
import { sealConsentCheckpoint } from '../../../core/consent/consent-checkpoints.ts';
import { readConsentLog } from '../../../core/consent/consent-log-reader.ts';
import { consentEventRecord } from '../../../consent/consent-event.ts';
import { generateSigningKeyPair, sign } from '../../../crypto/ed25519.ts';
import { chainLink, GENESIS_LINK } from '../../../crypto/hash-chain.ts';
import { ensureTenant, type Tenant } from '../../../core/tenancy/tenants.ts';
import type { Purpose } from '../../../consent/purpose.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';

const lookalike: Purpose = {
  key: 'marketing.advertising.lookalike',
  name: 'Lookalike audiences with media partners',
  mechanism: 'opt_in',
  legalBasis: { pipl: 'consent', gdpr: 'consent', ccpa: 'opt_out' },
  retentionDays: 365,
  sensitiveCategory: null,
  requiresNamedRecipient: true,
  crossBorder: false,
  publicDisclosure: false,
};
const newsletter: Purpose = { ...lookalike, key: 'marketing.email', name: 'Newsletter', requiresNamedRecipient: false, legalBasis: { pipl: 'consent' } };

describe.each(storageBackends)('consent ledger on %s', (backend) => {
  let t: TestDatabase;
  let tenant: Tenant;
  let notice: Notice;
  let counter = 0;
  const inTenant = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, tenant.id, work);
  const event = (overrides: Partial<ConsentEventInput> = {}): ConsentEventInput => ({
    clientEventId: `evt-${++counter}`,
    subject: 'person-1',
    purpose: lookalike.key,
    recipient: 'ocean-engine',
    regime: 'pipl',
    kind: 'given',
    noticeId: notice.id,
    channel: 'wechat-mini-program',
    source: 'signup-form',
    evidence: { ipHash: 'sha256:ab12', formId: 'signup-v3' },
    collectedAt: new Date(),
    ...overrides,
  });
  const record = (overrides: Partial<ConsentEventInput> = {}) => inTenant((trx) => recordConsentEvent(trx, event(overrides)));
  const gate = (overrides: { subject?: string; recipient?: string; regime?: 'pipl' | 'gdpr' | 'ccpa'; purpose?: string } = {}) =>
    inTenant((trx) => checkConsent(trx, { subject: 'person-1', purpose: lookalike.key, recipient: 'ocean-engine', regime: 'pipl', at: new Date(), ...overrides }));

  beforeEach(async () => {
    t = await openTestDatabase(backend);
    tenant = await ensureTenant(t.db, 'brand');
    notice = await inTenant(async (trx) => {
      await definePurpose(trx, lookalike);
      await definePurpose(trx, newsletter);
      return publishNotice(trx, { noticeKey: 'privacy', language: 'zh-CN', content: '隐私政策 v1', purposes: [lookalike.key, newsletter.key], recipients: ['ocean-engine', 'tencent-ads'], dataCategories: ['phone'] });
    });
  });
  afterEach(() => t.dispose());

  it('gates on the latest decision: grant, withdrawal, per named recipient', async () => {
    expect(await gate()).toEqual({ allowed: false, reason: 'no_consent', decidedBySeq: null });
    const granted = await record();
    expect(granted).toMatchObject({ seq: 1, duplicate: false, decision: { granted: true } });
    expect(await gate()).toEqual({ allowed: true, reason: 'granted', decidedBySeq: 1 });
    expect((await gate({ recipient: 'tencent-ads' })).allowed).toBe(false);
    await record({ kind: 'withdrawn', noticeId: undefined });
    expect(await gate()).toEqual({ allowed: false, reason: 'denied', decidedBySeq: 2 });
  });

  it('keeps a late, older grant from reviving a newer withdrawal', async () => {
    const now = Date.now() + 1_000; // after the notice was published
    await record({ collectedAt: new Date(now) });
    await record({ kind: 'withdrawn', noticeId: undefined, collectedAt: new Date(now + 1_000) });
    await record({ collectedAt: new Date(now + 500) }); // an offline app syncing an older grant
    expect(await gate()).toMatchObject({ allowed: false, reason: 'denied', decidedBySeq: 2 });
  });

  it('keeps regimes apart, so an opt-out signal under CCPA does not touch PIPL consent', async () => {
    await record();
    await record({ regime: 'ccpa', kind: 'refused', noticeId: undefined });
    expect((await gate()).allowed).toBe(true);
    expect(await gate({ regime: 'ccpa' })).toMatchObject({ allowed: false, reason: 'denied' });
    expect(await gate({ subject: 'person-2', regime: 'ccpa' })).toMatchObject({ allowed: true, reason: 'opt_out_default' });
  });

  it('fails closed for an unknown purpose or a regime the purpose is not processed under', async () => {
    expect(await gate({ purpose: 'no.such.purpose' })).toMatchObject({ allowed: false, reason: 'unknown_purpose' });
    expect(await inTenant((trx) => checkConsent(trx, { subject: 'person-1', purpose: newsletter.key, regime: 'gdpr', at: new Date() }))).toMatchObject({ allowed: false, reason: 'regime_not_allowed' });
  });

  it('returns the stored event for a resubmission, and refuses the same id with other content', async () => {
    const first = await inTenant((trx) => recordConsentEvent(trx, { ...event(), clientEventId: 'form-42' }));
    const again = await inTenant((trx) => recordConsentEvent(trx, { ...event({ collectedAt: first.decision!.decidedAt }), clientEventId: 'form-42' }));
    expect(again).toMatchObject({ seq: first.seq, duplicate: true });
    await expect(inTenant((trx) => recordConsentEvent(trx, { ...event({ kind: 'refused' }), clientEventId: 'form-42' }))).rejects.toMatchObject({
      code: 'ACCORD_ERR_CONSENT_DUPLICATE_MISMATCH',
    });
    expect(await t.db.selectFrom('consent_events').select('seq').execute()).toHaveLength(1);
  });

  it.each<[string, Partial<ConsentEventInput>, string]>([
    ['an unknown purpose', { purpose: 'no.such.purpose' }, 'ACCORD_ERR_CONSENT_UNKNOWN_PURPOSE'],
    ['an unknown notice version', { noticeId: '00000000-0000-4000-8000-000000000000' }, 'ACCORD_ERR_CONSENT_UNKNOWN_NOTICE'],
    ['a grant without a notice', { noticeId: undefined }, 'ACCORD_ERR_CONSENT_UNKNOWN_NOTICE'],
    ['a recipient the notice does not name', { recipient: 'kuaishou' }, 'ACCORD_ERR_CONSENT_NOTICE_SCOPE'],
    ['a missing named recipient', { recipient: undefined }, 'ACCORD_ERR_CONSENT_RECIPIENT'],
    ['a collection time in the future', { collectedAt: new Date(Date.now() + 3_600_000) }, 'ACCORD_ERR_CONSENT_COLLECTED_AT'],
    ['a collection time before the notice existed (backdated)', { collectedAt: new Date('2020-01-01T00:00:00Z') }, 'ACCORD_ERR_CONSENT_COLLECTED_AT'],
    ["a minor's own grant", { subjectIsMinor: true }, 'ACCORD_ERR_CONSENT_MINOR'],
    ['a guardian grant without guardian evidence', { kind: 'guardian_given', subjectIsMinor: true }, 'ACCORD_ERR_CONSENT_MINOR'],
    ['oversized evidence', { evidence: { note: 'x'.repeat(600) } }, 'ACCORD_ERR_CONSENT_EVIDENCE'],
    ['a regime the purpose is not processed under', { purpose: newsletter.key, recipient: undefined, regime: 'gdpr' }, 'ACCORD_ERR_CONSENT_INVALID'],
  ])('refuses %s and writes nothing', async (_name, overrides, code) => {
    await expect(record(overrides)).rejects.toMatchObject({ code });
    expect(await t.db.selectFrom('consent_events').select('seq').execute()).toEqual([]);
    expect(await t.db.selectFrom('consent_state').select('subject').execute()).toEqual([]);
  });

  it("records a guardian's grant for a minor, and refuses grants under a disabled notice", async () => {
    await record({ kind: 'guardian_given', subjectIsMinor: true, evidence: { guardianReference: 'guardian-id-hash:9f2c' } });
    expect((await gate()).allowed).toBe(true);
    await inTenant((trx) => disableNotice(trx, notice.id));
    await expect(record({ subject: 'person-2' })).rejects.toMatchObject({ code: 'ACCORD_ERR_CONSENT_NOTICE_DISABLED' });
  });

  it('appends a batch in order, folding repeats and duplicates, and keeps the chain whole', async () => {
    const t0 = Date.now();
    const batch = [
      event({ clientEventId: 'b-1', subject: 'p-a', collectedAt: new Date(t0) }),
      event({ clientEventId: 'b-2', subject: 'p-b', collectedAt: new Date(t0) }),
      event({ clientEventId: 'b-3', subject: 'p-a', kind: 'withdrawn', noticeId: undefined, collectedAt: new Date(t0 + 10) }),
      event({ clientEventId: 'b-2', subject: 'p-b', collectedAt: new Date(t0) }),
    ];
    const results = await inTenant((trx) => recordConsentEvents(trx, batch));
    expect(results.map((r) => [r.seq, r.duplicate])).toEqual([[1, false], [2, false], [3, false], [2, true]]);
    expect(results[0]!.decision).toMatchObject({ granted: false, decidedBySeq: 3 });
    expect(await gate({ subject: 'p-a' })).toMatchObject({ allowed: false, reason: 'denied' });
    expect(await gate({ subject: 'p-b' })).toMatchObject({ allowed: true, decidedBySeq: 2 });
    const again = await inTenant((trx) => recordConsentEvents(trx, batch.slice(0, 2)));
    expect(again.map((r) => r.duplicate)).toEqual([true, true]);
    expect(await inTenant((trx) => verifyConsentLog(trx))).toMatchObject({ ok: true, eventsChecked: 3 });
  });

  it('cascades a withdrawal of a parent purpose to the narrower grants, and never lets a parent grant override a child refusal', async () => {
    const marketing: Purpose = { ...newsletter, key: 'marketing', name: 'All marketing' };
    await inTenant((trx) => definePurpose(trx, marketing));
    const t0 = Date.now();
    await record({ subject: 'p-d', collectedAt: new Date(t0) });
    await record({ subject: 'p-d', purpose: newsletter.key, recipient: undefined, collectedAt: new Date(t0) });
    const withdrawal = await record({ subject: 'p-d', purpose: 'marketing', recipient: undefined, kind: 'withdrawn', noticeId: undefined, collectedAt: new Date(t0 + 10) });
    expect(withdrawal.seq).toBe(3);
    expect(await gate({ subject: 'p-d' })).toMatchObject({ allowed: false, reason: 'denied' });
    expect(await gate({ subject: 'p-d', purpose: newsletter.key, recipient: undefined })).toMatchObject({ allowed: false, reason: 'denied' });
    const derived = await inTenant((trx) => trx.selectFrom('consent_events').select(['purpose', 'kind', 'source']).where('seq', '>', 3).orderBy('seq').execute());
    expect(derived).toEqual([
      { purpose: lookalike.key, kind: 'withdrawn', source: 'cascade:marketing' },
      { purpose: newsletter.key, kind: 'withdrawn', source: 'cascade:marketing' },
    ]);
    // A later explicit grant of the narrower purpose is a new choice and counts.
    await record({ subject: 'p-d', purpose: newsletter.key, recipient: undefined, collectedAt: new Date(t0 + 20) });
    expect(await gate({ subject: 'p-d', purpose: newsletter.key, recipient: undefined })).toMatchObject({ allowed: true });
    expect(await inTenant((trx) => verifyConsentLog(trx))).toMatchObject({ ok: true });
  });

  it('writes nothing from a batch that holds one invalid event', async () => {
    const batch = [event({ clientEventId: 'ok-1', subject: 'p-c' }), event({ clientEventId: 'bad-1', purpose: 'marketing.unknown' })];
    await expect(inTenant((trx) => recordConsentEvents(trx, batch))).rejects.toMatchObject({ code: 'ACCORD_ERR_CONSENT_UNKNOWN_PURPOSE' });
    const count = await inTenant((trx) => trx.selectFrom('consent_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow());
    expect(Number(count.n)).toBe(0);
    expect(await gate({ subject: 'p-c' })).toMatchObject({ allowed: false, reason: 'no_consent' });
  });

  it('verifies an intact log and names the first record altered by a direct UPDATE', async () => {
    for (let i = 0; i < 5; i++) await record({ subject: `person-${i}` });
    expect(await inTenant(verifyConsentLog)).toEqual({ ok: true, eventsChecked: 5 });
    // An operator with the owner role bypasses the append-only trigger and edits a row.
    await sql`alter table consent_events disable trigger append_only`.execute(t.db);
    await sql`update consent_events set kind = 'refused' where seq = 3`.execute(t.db);
    await sql`alter table consent_events enable trigger append_only`.execute(t.db);
    expect(await inTenant(verifyConsentLog)).toMatchObject({ ok: false, eventsChecked: 2, firstBad: { seq: 3, problem: 'its content or its place in the chain was altered' } });
  });

  it('names a removed event and a head that does not match', async () => {
    for (let i = 0; i < 4; i++) await record({ subject: `person-${i}` });
    await sql`alter table consent_events disable trigger append_only`.execute(t.db);
    await sql`delete from consent_events where seq = 4`.execute(t.db);
    expect(await inTenant(verifyConsentLog)).toMatchObject({ ok: false, firstBad: { seq: 4, problem: 'the chain head says 4 events, the log holds 3' } });
    await sql`delete from consent_events where seq = 2`.execute(t.db);
    await sql`alter table consent_events enable trigger append_only`.execute(t.db);
    expect(await inTenant(verifyConsentLog)).toMatchObject({ ok: false, firstBad: { seq: 2, problem: 'event 2 is missing (next stored is 3)' } });
  });

  it('seals signed checkpoints, and catches a rewrite that recomputed the whole chain', async () => {
    const keys = generateSigningKeyPair();
    const signer = { nodeId: '11111111-1111-4111-8111-111111111111', sign: (message: Uint8Array) => sign(message, keys.secretKey) };
    for (let i = 0; i < 6; i++) await record({ subject: `person-${i}` });
    const sealed = await inTenant((trx) => sealConsentCheckpoint(trx, signer));
    expect(sealed).toMatchObject({ treeSize: 6 });
    expect(new TextDecoder().decode(sealed!.body)).toMatch(new RegExp(`^accord/${signer.nodeId}/${tenant.id}/consent\n6\n`));
    expect((await inTenant((trx) => sealConsentCheckpoint(trx, signer)))!.signedAt).toEqual(sealed!.signedAt); // nothing new: same checkpoint
    await record({ subject: 'person-7' });
    expect(await inTenant((trx) => verifyConsentLog(trx, keys.publicKey))).toEqual({ ok: true, eventsChecked: 7, checkpointsChecked: 1 });
    expect(await inTenant((trx) => verifyConsentLog(trx, generateSigningKeyPair().publicKey))).toMatchObject({
      ok: false,
      firstBad: { problem: 'the checkpoint at 6 events is not signed by this node' },
    });

    // An operator with the owner role edits event 2 and recomputes every later link and the head.
    await sql`alter table consent_events disable trigger append_only`.execute(t.db);
    await sql`update consent_events set kind = 'refused' where seq = 2`.execute(t.db);
    const events = await inTenant(async (trx) => {
      const all = [];
      for await (const { event } of readConsentLog(trx)) all.push(event);
      return all;
    });
    let previous = GENESIS_LINK;
    for (const event of events) {
      previous = chainLink(previous, consentEventRecord(event));
      await sql`update consent_events set link = ${previous} where seq = ${event.seq}`.execute(t.db);
    }
    await sql`update consent_chain_heads set link = ${previous}`.execute(t.db);
    await sql`alter table consent_events enable trigger append_only`.execute(t.db);
    expect(await inTenant((trx) => verifyConsentLog(trx))).toMatchObject({ ok: true });
    expect(await inTenant((trx) => verifyConsentLog(trx, keys.publicKey))).toMatchObject({
      ok: false,
      firstBad: { seq: 6, problem: "the log's first 6 events no longer match their signed checkpoint" },
    });
  });

  it('refuses UPDATE and DELETE of events through the normal roles', async () => {
    await record();
    await expect(t.db.updateTable('consent_events').set({ kind: 'refused' }).execute()).rejects.toThrow(/append-only/);
    await expect(inTenant((trx) => trx.deleteFrom('consent_events').execute())).rejects.toThrow(/permission denied/);
  });

  it('keeps one chain per tenant', async () => {
    await record();
    const other = await ensureTenant(t.db, 'other');
    const otherSeq = await withTenant(t.db, other.id, async (trx) => {
      await definePurpose(trx, newsletter);
      const otherNotice = await publishNotice(trx, { noticeKey: 'privacy', language: 'en', content: 'Notice', purposes: [newsletter.key], recipients: [], dataCategories: ['email'] });
      return recordConsentEvent(trx, { ...event({ purpose: newsletter.key, recipient: undefined }), noticeId: otherNotice.id });
    });
    expect(otherSeq.seq).toBe(1);
    expect((await gate()).allowed).toBe(true);
    expect(await withTenant(t.db, other.id, verifyConsentLog)).toEqual({ ok: true, eventsChecked: 1 });
  });
});

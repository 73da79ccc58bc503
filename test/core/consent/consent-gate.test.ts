import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsentGate, readStateRows, type StateRowReader } from '../../../core/consent/consent-gate.ts';
import { publishNotice } from '../../../core/consent/notices.ts';
import { definePurpose } from '../../../core/consent/purposes.ts';
import { recordConsentEvent, subjectKeyOf } from '../../../core/consent/record-consent-event.ts';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import { ensureTenant, type Tenant } from '../../../core/tenancy/tenants.ts';
import { openTestDatabase, storageBackends, type StorageBackend, type TestDatabase } from '../../support/test-database.ts';

/** A tenant with audience.matching (named recipient) and its notice; consents recorded through the ledger. */
function matchingLedger() {
  const ledger = {
    t: undefined as unknown as TestDatabase,
    tenant: undefined as unknown as Tenant,
    noticeId: '',
    n: 0,
    inTenant: <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(ledger.t.db, ledger.tenant.id, work),
    record: (subject: string, kind: 'given' | 'withdrawn') =>
      ledger.inTenant((trx) =>
        recordConsentEvent(trx, {
          clientEventId: `e${++ledger.n}`,
          subject,
          purpose: 'audience.matching',
          recipient: 'media-partner',
          regime: 'pipl',
          kind,
          ...(kind === 'given' ? { noticeId: ledger.noticeId } : {}),
          channel: 'app',
          source: 'test',
          collectedAt: new Date(Date.now() + 1_000 + ledger.n),
        }),
      ),
    keysOf: (subjects: string[]) => ledger.inTenant(async (trx) => Uint32Array.from(await Promise.all(subjects.map((s) => subjectKeyOf(trx, s))))),
    ask: (gate: ConsentGate, keys: Uint32Array, purpose = 'audience.matching') =>
      ledger.inTenant((trx) => gate.evaluate(trx, { keys, purpose, recipient: purpose === 'audience.matching' ? 'media-partner' : undefined, regime: 'pipl', at: new Date(Date.now() + 10_000), activity: 'test', actor: 'test' })),
    async open(backend: StorageBackend) {
      ledger.t = await openTestDatabase(backend);
      ledger.tenant = await ensureTenant(ledger.t.db, 'brand');
      ledger.noticeId = await ledger.inTenant(async (trx) => {
        await definePurpose(trx, { key: 'audience.matching', name: 'Matching', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, retentionDays: null, sensitiveCategory: null, requiresNamedRecipient: true, crossBorder: false, publicDisclosure: false });
        return (await publishNotice(trx, { noticeKey: 'n', language: 'zh-CN', content: '通知', purposes: ['audience.matching'], recipients: ['media-partner'], dataCategories: [] })).id;
      });
    },
  };
  return ledger;
}

/** The gate's reads of consent_state, by the sequence number each load started after. */
function recordingReader(): { reader: StateRowReader; loads: number[] } {
  const loads: number[] = [];
  return {
    loads,
    reader: async (trx, page) => {
      if (page.afterKey === -1) loads.push(page.afterSeq);
      return readStateRows(trx, page);
    },
  };
}

describe.each(storageBackends)('batch consent gate on %s', (backend) => {
  const ledger = matchingLedger();
  const { inTenant, record } = ledger;

  beforeEach(() => ledger.open(backend));
  afterEach(() => ledger.t.dispose());

  it('allows only consented subjects, sees a withdrawal at once, and records every evaluation', async () => {
    for (const subject of ['a', 'b', 'c']) await record(subject, 'given');
    const keys = await ledger.keysOf(['a', 'b', 'c', 'd']);
    const gate = new ConsentGate();
    const run = () => inTenant((trx) => gate.evaluate(trx, { keys, purpose: 'audience.matching', recipient: 'media-partner', regime: 'pipl', at: new Date(Date.now() + 10_000), activity: 'psi.run', actor: 'test' }));
    const first = await run();
    expect(first.size).toBe(3);
    expect(first.denied).toEqual({ noConsent: 1, refused: 0, expired: 0 });
    expect(first.evaluatedAtSeq).toBe(3);

    await record('b', 'withdrawn');
    const second = await run();
    expect([...second.keys].sort()).toEqual([keys[0], keys[2]].sort());
    expect(second.denied.refused).toBe(1);
    expect(second.evaluatedAtSeq).toBe(4);

    const records = await inTenant((trx) => trx.selectFrom('processing_records').select(['activity', 'purpose', 'subjects_in', 'subjects_out', 'details']).orderBy('finished_at').execute());
    expect(records.map((r) => [r.subjects_in, r.subjects_out])).toEqual([
      [4, 3],
      [4, 2],
    ]);
    expect(records[1]).toMatchObject({ activity: 'psi.run', purpose: 'audience.matching', details: { gate: { evaluatedAtSeq: 4, denied: { refused: 1 } } } });
  });

  it('drops the least recently used projection over its memory budget, and loads it again in full with every later change', async () => {
    await inTenant((trx) =>
      definePurpose(trx, { key: 'marketing.sms', name: 'SMS', mechanism: 'opt_out', legalBasis: { pipl: 'opt_out' }, retentionDays: null, sensitiveCategory: null, requiresNamedRecipient: false, crossBorder: false, publicDisclosure: false }),
    );
    for (const subject of ['a', 'b', 'c']) await record(subject, 'given');
    const keys = await ledger.keysOf(['a', 'b', 'c']);
    const { reader, loads } = recordingReader();
    // Room for one small projection, not two.
    const gate = new ConsentGate({ maxBytes: 100_000, readRows: reader });
    expect((await ledger.ask(gate, keys)).size).toBe(3);
    expect((await ledger.ask(gate, keys)).size).toBe(3);
    expect(loads).toEqual([0]);
    expect((await ledger.ask(gate, keys, 'marketing.sms')).size).toBe(3);
    await record('b', 'withdrawn');
    const reloaded = await ledger.ask(gate, keys);
    // Dropped: loaded from the start of the ledger, not from where it had been.
    expect(loads).toEqual([0, 0, 0]);
    expect([...reloaded.keys].sort()).toEqual([keys[0], keys[2]].sort());
    expect(reloaded.evaluatedAtSeq).toBe(4);
  });

  it('drops a projection unused for longer than the idle time', async () => {
    await record('a', 'given');
    const keys = await ledger.keysOf(['a']);
    let now = 0;
    const { reader, loads } = recordingReader();
    const gate = new ConsentGate({ idleMs: 60_000, clock: () => now, readRows: reader });
    await inTenant((trx) =>
      definePurpose(trx, { key: 'marketing.sms', name: 'SMS', mechanism: 'opt_out', legalBasis: { pipl: 'opt_out' }, retentionDays: null, sensitiveCategory: null, requiresNamedRecipient: false, crossBorder: false, publicDisclosure: false }),
    );
    await ledger.ask(gate, keys);
    now = 59_000;
    await ledger.ask(gate, keys, 'marketing.sms');
    await ledger.ask(gate, keys);
    expect(loads).toEqual([0, 0]);
    now = 200_000;
    await ledger.ask(gate, keys, 'marketing.sms');
    expect((await ledger.ask(gate, keys)).size).toBe(1);
    expect(loads).toEqual([0, 0, 0]);
  });

  it('refuses an unknown purpose instead of answering', async () => {
    const gate = new ConsentGate();
    await expect(inTenant((trx) => gate.evaluate(trx, { keys: new Uint32Array(1), purpose: 'no.such', regime: 'pipl', at: new Date(), activity: 'x', actor: 'y' }))).rejects.toMatchObject({
      code: 'ACCORD_ERR_CONSENT_UNKNOWN_PURPOSE',
    });
  });
});

// PGlite is one session: its transactions never overlap, so refreshes can only race on Postgres.
describe.skipIf(!storageBackends.includes('postgres'))('batch consent gate refreshed by two overlapping transactions', () => {
  const ledger = matchingLedger();
  beforeEach(() => ledger.open('postgres'));
  afterEach(() => ledger.t.dispose());

  it('lets a withdrawal win over the older grant a slower refresh read before it', async () => {
    await ledger.record('a', 'given');
    const keys = await ledger.keysOf(['a']);
    let slowRead!: () => void;
    let release!: () => void;
    const read = new Promise<void>((resolve) => (slowRead = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    let first = true;
    const gate = new ConsentGate({
      // The first refresh reads the grant, then stalls before applying it.
      readRows: async (trx, page) => {
        const rows = await readStateRows(trx, page);
        if (first) {
          first = false;
          slowRead();
          await released;
        }
        return rows;
      },
    });
    const slow = ledger.ask(gate, keys);
    await read;
    await ledger.record('a', 'withdrawn');
    const fast = await ledger.ask(gate, keys);
    release();
    const late = await slow;
    const after = await ledger.ask(gate, keys);
    for (const answer of [fast, late, after]) {
      expect(answer.size).toBe(0);
      expect(answer.denied.refused).toBe(1);
      expect(answer.evaluatedAtSeq).toBe(2);
    }
  });
});

import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consentEventRecord } from '../../../consent/consent-event.ts';
import { sealConsentCheckpoint } from '../../../core/consent/consent-checkpoints.ts';
import { readConsentLog } from '../../../core/consent/consent-log-reader.ts';
import { publishNotice, type Notice } from '../../../core/consent/notices.ts';
import { definePurpose } from '../../../core/consent/purposes.ts';
import { recordConsentEvent } from '../../../core/consent/record-consent-event.ts';
import { verifySubjectConsent } from '../../../core/consent/verify-subject-consent.ts';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import { loadOrCreateNodeIdentity, type NodeIdentity } from '../../../core/identity/node-identity.ts';
import { ensureTenant, type Tenant } from '../../../core/tenancy/tenants.ts';
import { chainLink, GENESIS_LINK } from '../../../crypto/hash-chain.ts';
import { generateSigningKeyPair } from '../../../crypto/ed25519.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';

describe.each(storageBackends)("verifying one person's consent records on %s", (backend) => {
  let t: TestDatabase;
  let tenant: Tenant;
  let identity: NodeIdentity;
  let notice: Notice;
  let counter = 0;
  const inTenant = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, tenant.id, work);
  const record = (subject: string, kind: 'given' | 'withdrawn' = 'given') =>
    inTenant((trx) =>
      recordConsentEvent(trx, { clientEventId: `e-${++counter}`, subject, purpose: 'marketing.sms', regime: 'pipl', kind, noticeId: kind === 'given' ? notice.id : undefined, channel: 'app', source: 'test', collectedAt: new Date(Date.now() + 1_000 + counter) }),
    );
  /** `null`: without the node key, so by the chain only. */
  const verify = (subject: string, key: Uint8Array | null = identity.publicKey) => inTenant((trx) => verifySubjectConsent(trx, subject, key ?? undefined));
  /** What an owner-role operator can do: bypass the append-only trigger. */
  const asOwner = async (statement: ReturnType<typeof sql>) => {
    await sql`alter table consent_events disable trigger append_only`.execute(t.db);
    await statement.execute(t.db);
    await sql`alter table consent_events enable trigger append_only`.execute(t.db);
  };

  beforeEach(async () => {
    t = await openTestDatabase(backend);
    tenant = await ensureTenant(t.db, 'brand');
    identity = await loadOrCreateNodeIdentity(t.db, new Uint8Array(32).fill(4), 'Brand');
    notice = await inTenant(async (trx) => {
      await definePurpose(trx, { key: 'marketing.sms', name: 'SMS', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, retentionDays: null, sensitiveCategory: null, requiresNamedRecipient: false, crossBorder: false, publicDisclosure: false });
      return publishNotice(trx, { noticeKey: 'n', language: 'zh-CN', content: '通知', purposes: ['marketing.sms'], recipients: [], dataCategories: [] });
    });
    // Seq: 1 alice, 2 bob, 3 alice, 4 bob, 5 alice (withdrawal).
    for (const [subject, kind] of [['alice', 'given'], ['bob', 'given'], ['alice', 'given'], ['bob', 'given'], ['alice', 'withdrawn']] as const) await record(subject, kind);
  });
  afterEach(() => t.dispose());

  it('proves intact records against the signed checkpoint, the unsealed ones by the chain', async () => {
    expect(await verify('alice')).toEqual({ ok: true, eventsChecked: 3, unsealed: 3 });
    await inTenant((trx) => sealConsentCheckpoint(trx, identity));
    expect(await verify('alice')).toEqual({ ok: true, eventsChecked: 3, checkpointSize: 5, unsealed: 0 });
    await record('alice');
    expect(await verify('alice')).toEqual({ ok: true, eventsChecked: 4, checkpointSize: 5, unsealed: 1 });
    expect(await verify('never-seen')).toEqual({ ok: true, eventsChecked: 0, checkpointSize: 5, unsealed: 0 });
  });

  it("names the record a direct UPDATE changed; another person's records are intact but no longer proven", async () => {
    await inTenant((trx) => sealConsentCheckpoint(trx, identity));
    await asOwner(sql`update consent_events set kind = 'given' where seq = 5`);
    expect(await verify('alice')).toEqual({ ok: false, eventsChecked: 2, firstBad: { seq: 5, problem: 'its content or its place in the chain was altered' } });
    expect(await verify('alice', null)).toMatchObject({ ok: false, firstBad: { seq: 5 } });
    // Bob's own records are intact, but the checkpoint that would prove them no longer matches the log.
    expect(await verify('bob', null)).toEqual({ ok: true, eventsChecked: 2 });
    expect(await verify('bob')).toMatchObject({ ok: false, firstBad: { seq: 2, problem: expect.stringContaining("the altered record may be another person's") } });
  });

  it('catches a rewritten tail with recomputed links through the signed checkpoint', async () => {
    await inTenant((trx) => sealConsentCheckpoint(trx, identity));
    await asOwner(sql`update consent_events set kind = 'given', notice_id = ${notice.id} where seq = 5`);
    // The forger recomputes every link and the head, so the chain alone no longer shows it.
    let link = GENESIS_LINK;
    const events = await inTenant(async (trx) => {
      const all = [];
      for await (const { event } of readConsentLog(trx)) all.push(event);
      return all;
    });
    for (const event of events) {
      link = chainLink(link, consentEventRecord(event));
      await asOwner(sql`update consent_events set link = ${link} where seq = ${event.seq}`);
    }
    await sql`update consent_chain_heads set link = ${link}`.execute(t.db);
    expect(await verify('alice', null)).toEqual({ ok: true, eventsChecked: 3 });
    expect(await verify('alice')).toMatchObject({ ok: false, eventsChecked: 0, firstBad: { seq: 1, problem: expect.stringContaining('no longer gives the root of the signed checkpoint at 5 events') } });
  });

  it('refuses a checkpoint the node did not sign', async () => {
    await inTenant((trx) => sealConsentCheckpoint(trx, identity));
    expect(await verify('bob', generateSigningKeyPair().publicKey)).toMatchObject({ ok: false, firstBad: { seq: 2, problem: 'the checkpoint at 5 events is not signed by this node' } });
  });
});

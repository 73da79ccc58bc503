import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { sealConsentCheckpoint } from '../../core/consent/consent-checkpoints.ts';
import { publishNotice } from '../../core/consent/notices.ts';
import { definePurpose } from '../../core/consent/purposes.ts';
import { recordConsentEvent } from '../../core/consent/record-consent-event.ts';
import { migrateToLatest } from '../../core/db/migrate.ts';
import { databaseTargetOf, openDatabase } from '../../core/db/open-database.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { loadOrCreateNodeIdentity } from '../../core/identity/node-identity.ts';
import { ensureTenant } from '../../core/tenancy/tenants.ts';
import { runAccord } from '../support/accord-process.ts';

describe('accord consent verify --subject', () => {
  it("verifies one person's records against the signed checkpoint and names the first altered one", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accord-cli-'));
    const database = await openDatabase(databaseTargetOf({ dataDir: dir }));
    await migrateToLatest(database.db);
    const identity = await loadOrCreateNodeIdentity(database.db, new Uint8Array(32).fill(8), 'CLI brand');
    const tenant = await ensureTenant(database.db, 'default');
    await withTenant(database.db, tenant.id, async (trx) => {
      await definePurpose(trx, { key: 'marketing.sms', name: 'SMS', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, retentionDays: null, sensitiveCategory: null, requiresNamedRecipient: false, crossBorder: false, publicDisclosure: false });
      const notice = await publishNotice(trx, { noticeKey: 'n', language: 'zh-CN', content: '通知', purposes: ['marketing.sms'], recipients: [], dataCategories: [] });
      // Seq 1..4 alternate between two people; 5 is alice's, after the checkpoint.
      for (const [i, subject] of ['alice', 'bob', 'alice', 'bob', 'alice'].entries()) {
        if (i === 4) await sealConsentCheckpoint(trx, identity);
        await recordConsentEvent(trx, { clientEventId: `e${i}`, subject, purpose: 'marketing.sms', regime: 'pipl', kind: 'given', noticeId: notice.id, channel: 'app', source: 'test', collectedAt: new Date(Date.now() + 1_000 + i) });
      }
    });
    await database.close();

    const ok = await runAccord(['consent', 'verify', '--subject', 'alice'], { ACCORD_DATA_DIR: dir });
    expect(ok.stdout).toBe('consent records of "alice" in default: 3 events verify, proven by the signed checkpoint at 4 events, except 1 logged after it (chain only)\n');
    expect(ok.code).toBe(0);

    const again = await openDatabase(databaseTargetOf({ dataDir: dir }));
    await sql`alter table consent_events disable trigger append_only`.execute(again.db);
    await sql`update consent_events set channel = 'backfilled' where seq = 3`.execute(again.db);
    await sql`alter table consent_events enable trigger append_only`.execute(again.db);
    await again.close();
    const altered = await runAccord(['consent', 'verify', '--subject', 'alice'], { ACCORD_DATA_DIR: dir });
    expect(altered.stderr).toBe('accord: consent records of "alice" in default FAIL at event 3: its content or its place in the chain was altered (1 of their events before it verify)\n');
    expect(altered.code).toBe(1);
    // The whole-log verification is unchanged and agrees.
    const whole = await runAccord(['consent', 'verify'], { ACCORD_DATA_DIR: dir });
    expect(whole.stderr).toMatch(/^accord: consent log of default FAILS at event 3: /);
  });
});

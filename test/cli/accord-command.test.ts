import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { runAccord, startAccord } from '../support/accord-process.ts';
import { createPostgresDatabase } from '../support/test-database.ts';
import { sql } from 'kysely';
import { publishNotice } from '../../core/consent/notices.ts';
import { definePurpose } from '../../core/consent/purposes.ts';
import { recordConsentEvent } from '../../core/consent/record-consent-event.ts';
import { migrateToLatest } from '../../core/db/migrate.ts';
import { migrations } from '../../core/db/migrations/index.ts';
import { databaseTargetOf, openDatabase } from '../../core/db/open-database.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { ensureTenant } from '../../core/tenancy/tenants.ts';

const dataDir = () => mkdtempSync(join(tmpdir(), 'accord-cli-'));
const masterKey = (byte: number) => Buffer.alloc(32, byte).toString('base64');

describe('accord command', () => {
  it('stops on a bad setting with one line naming it', async () => {
    const result = await runAccord(['start'], { PORT: 'eighty', ACCORD_DATA_DIR: dataDir() });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('accord: PORT: expected an integer port from 0 to 65535, got "eighty"\n');
  });

  it('stops when the database cannot be reached, without printing its password', async () => {
    const result = await runAccord(['start'], { DATABASE_URL: 'postgres://accord:s3cret@127.0.0.1:1/accord', ACCORD_DATA_DIR: dataDir() });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^accord: cannot reach the database at postgres:\/\/accord:\*\*\*@127\.0\.0\.1:1\/accord: .*ECONNREFUSED.*\n$/);
    expect(result.stderr).not.toContain('s3cret');
  });

  it('stops when Redis cannot be reached', async () => {
    const result = await runAccord(['start'], { REDIS_URL: 'redis://127.0.0.1:1', ACCORD_DATA_DIR: dataDir(), PORT: '0' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^accord: cannot reach Redis at redis:\/\/127\.0\.0\.1:1: .*\n$/);
  });

  it('starts on the embedded database, serves, stops cleanly, and refuses another master key', async () => {
    const dir = dataDir();
    const node = await startAccord({ ACCORD_DATA_DIR: dir, ACCORD_PARTY_NAME: 'CLI brand' });
    expect((await (await fetch(`${node.url}/health`)).json())).toEqual({ status: 'ok' });
    const ready = await fetch(`${node.url}/ready`);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'up', queue: 'up' } });
    const card = await (await fetch(`${node.url}/.well-known/accord-node`)).json();
    expect(card.partyName).toBe('CLI brand');
    const second = await runAccord(['keys', 'list'], { ACCORD_DATA_DIR: dir });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/^accord: the embedded database in .*pglite is in use by process \d+; stop that accord process first/);
    expect(await node.stop()).toBe(0);

    const again = await startAccord({ ACCORD_DATA_DIR: dir });
    expect((await (await fetch(`${again.url}/.well-known/accord-node`)).json()).nodeId).toBe(card.nodeId);
    expect(await again.stop()).toBe(0);

    const wrongKey = await runAccord(['start'], { ACCORD_DATA_DIR: dir, ACCORD_MASTER_KEY: masterKey(9), PORT: '0' });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/^accord: the node key in the database cannot be opened with the configured master key/);
  });

  it('creates, lists and revokes API keys that the node then accepts or refuses', async () => {
    const dir = dataDir();
    const bad = await runAccord(['keys', 'create', '--scopes', 'peers:read,everything'], { ACCORD_DATA_DIR: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('accord: unknown or missing scopes: everything\n');
    const created = await runAccord(['keys', 'create', '--scopes', 'peers:read', '--name', 'reporting'], { ACCORD_DATA_DIR: dir });
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^accord_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const id = token.split('_')[1]!;
    const listed = await runAccord(['keys', 'list'], { ACCORD_DATA_DIR: dir });
    expect(listed.stdout).toContain(`${id}\treporting\tpeers:read\tactive`);

    const node = await startAccord({ ACCORD_DATA_DIR: dir });
    const headers = { authorization: `Bearer ${token}` };
    expect((await fetch(`${node.url}/v1/peers`, { headers })).status).toBe(200);
    expect(await node.stop()).toBe(0);

    expect((await runAccord(['keys', 'revoke', id], { ACCORD_DATA_DIR: dir })).code).toBe(0);
    const restarted = await startAccord({ ACCORD_DATA_DIR: dir });
    expect((await fetch(`${restarted.url}/v1/peers`, { headers })).status).toBe(401);
    expect(await restarted.stop()).toBe(0);
    expect((await runAccord(['keys', 'revoke', id], { ACCORD_DATA_DIR: dir })).stderr).toBe(`accord: no active key ${id}\n`);
  });

  it('verifies the consent log, and names the first altered event with exit 1', async () => {
    const dir = dataDir();
    const database = await openDatabase(databaseTargetOf({ dataDir: dir }));
    await migrateToLatest(database.db);
    const tenant = await ensureTenant(database.db, 'default');
    await withTenant(database.db, tenant.id, async (trx) => {
      await definePurpose(trx, { key: 'marketing.sms', name: 'SMS', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, retentionDays: null, sensitiveCategory: null, requiresNamedRecipient: false, crossBorder: false, publicDisclosure: false });
      const notice = await publishNotice(trx, { noticeKey: 'n', language: 'zh-CN', content: '通知', purposes: ['marketing.sms'], recipients: [], dataCategories: [] });
      for (let i = 0; i < 3; i++) {
        await recordConsentEvent(trx, { clientEventId: `e${i}`, subject: `s${i}`, purpose: 'marketing.sms', regime: 'pipl', kind: 'given', noticeId: notice.id, channel: 'app', source: 'test', collectedAt: new Date(Date.now() + 1_000) });
      }
    });
    await database.close();
    const ok = await runAccord(['consent', 'verify'], { ACCORD_DATA_DIR: dir });
    expect(ok.stdout).toBe('consent log of default: 3 events verify\n');
    expect(ok.code).toBe(0);

    const again = await openDatabase(databaseTargetOf({ dataDir: dir }));
    await sql`alter table consent_events disable trigger append_only`.execute(again.db);
    await sql`update consent_events set subject = 's9' where seq = 2`.execute(again.db);
    await again.close();
    const altered = await runAccord(['consent', 'verify'], { ACCORD_DATA_DIR: dir });
    expect(altered.code).toBe(1);
    expect(altered.stderr).toBe('accord: consent log of default FAILS at event 2: its content or its place in the chain was altered (1 events before it verify)\n');
  });

  it('rejects an unknown command with the usage', async () => {
    const result = await runAccord(['launch']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^accord: unknown command "launch"\n\nusage: accord <command>/);
  });

  it.runIf(inject('postgresUrl') && inject('redisUrl'))('runs the API against Postgres and Redis, jobs left to a worker process', async () => {
    const database = await createPostgresDatabase();
    try {
      const env = { DATABASE_URL: database.url, REDIS_URL: inject('redisUrl')!, ACCORD_MASTER_KEY: masterKey(4), ACCORD_DATA_DIR: dataDir() };
      expect((await runAccord(['migrate'], env)).stdout).toBe(`applied: ${Object.keys(migrations).join(', ')}\n`);
      const api = await startAccord(env, ['start', '--no-worker']);
      const ready = await (await fetch(`${api.url}/ready`)).json();
      expect(ready).toEqual({ status: 'ready', checks: { database: 'up', queue: 'up' } });
      expect(await api.stop()).toBe(0);
    } finally {
      await database.drop();
    }
  });
});

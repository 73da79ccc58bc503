import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncCommand } from '../../cli/sync-command.ts';
import { ConsentGate } from '../../core/consent/consent-gate.ts';
import { definePurpose } from '../../core/consent/purposes.ts';
import { databaseTargetOf, openDatabase } from '../../core/db/open-database.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { findTenant } from '../../core/tenancy/tenants.ts';
import { storageBackends } from '../support/test-database.ts';
import { openCliFixture, type CliFixture } from './cli-fixture.ts';

const PURPOSE = 'advertising.custom_audiences';

describe.each(storageBackends)('accord sync on %s', (backend) => {
  let f: CliFixture;
  let segmentId: number;
  const gate = new ConsentGate();
  const sync = (...args: string[]) => f.run((config, rest) => syncCommand({ ...config, adPlatformUrls: { meta: 'http://127.0.0.1:9' } }, gate, rest), [...args, '--tenant', 'acme']);
  const json = async (...args: string[]) => {
    const { out, error } = await sync(...args, '--json');
    if (error) throw error;
    return JSON.parse(out);
  };

  beforeAll(async () => {
    f = await openCliFixture(backend);
    const database = await openDatabase(databaseTargetOf(f.config));
    try {
      const tenant = (await findTenant(database.db, 'acme'))!;
      segmentId = await withTenant(database.db, tenant.id, async (trx) => {
        await definePurpose(trx, { key: PURPOSE, name: 'Custom audiences', mechanism: 'opt_out', legalBasis: { ccpa: 'opt_out' }, retentionDays: null, sensitiveCategory: null, requiresNamedRecipient: false, crossBorder: false, publicDisclosure: false });
        const persons = await trx.selectFrom('persons').select('id').execute();
        const segment = await trx.insertInto('segments').values({ tenant_id: trx.tenantId, name: 'all', kind: 'imported', rule: null, schedule_seconds: null, created_by: 'test' }).returning('id').executeTakeFirstOrThrow();
        await trx.insertInto('segment_members').values(persons.map((p) => ({ tenant_id: trx.tenantId, segment_id: Number(segment.id), person_id: Number(p.id) }))).execute();
        return Number(segment.id);
      });
    } finally {
      await database.close();
    }
  });
  afterAll(() => f.dispose());

  it('connects an account without printing its credentials, creates, previews, starts and joins a run', async () => {
    const credentials = f.file('meta.json', JSON.stringify({ accessToken: 'EAAB-very-secret' }));
    const added = await sync('destinations', 'add', 'meta', '--account', '120330000000000', '--credentials', credentials);
    expect(added.error).toBeUndefined();
    expect(added.out).toMatch(/meta +meta +meta 120330000000000 +120330000000000 +active/);
    expect(added.out).not.toContain('very-secret');
    const { destinations } = await json('destinations', 'list');
    expect(destinations).toEqual([expect.objectContaining({ platform: 'meta', accountId: '120330000000000' })]);
    expect(JSON.stringify(destinations)).not.toContain('very-secret');

    const created = await json('create', 'Everyone', '--segment', String(segmentId), '--destination', String(destinations[0].id), '--purpose', PURPOSE, '--regime', 'ccpa');
    const preview = await json('preview', String(created.id));
    expect(preview.destinations).toEqual([expect.objectContaining({ audienceMembers: 13, consented: 13, adds: 13, removes: 0, membersByIdType: expect.objectContaining({ EMAIL: 13 }) })]);
    const first = await json('run', String(created.id));
    const second = await json('run', String(created.id));
    expect([first.joined, second.joined, second.run.id]).toEqual([false, true, first.run.id]);
    expect((await json('status', String(created.id))).runs).toEqual([expect.objectContaining({ id: first.run.id, state: 'planned' })]);
  });

  it('refuses bad input with a usage error before touching anything', async () => {
    expect((await sync('destinations', 'add', 'meta', '--account', '1')).error?.message).toContain('--credentials');
    expect((await sync('destinations', 'add', 'myspace', '--account', '1', '--credentials', f.file('c.json', '{"accessToken":"x"}'))).error?.message).toContain('no connector "myspace"');
    expect((await sync('create', 'x', '--destination', '1', '--purpose', PURPOSE, '--regime', 'ccpa')).error?.message).toContain('--segment');
    expect((await sync('run', 'abc')).error?.message).toContain('sync id');
  });
});

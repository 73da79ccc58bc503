import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAuditEvent } from '../../../core/audit/audit-log.ts';
import { recordProcessing } from '../../../core/audit/processing-records.ts';
import { withTenant } from '../../../core/db/tenant-scope.ts';
import { generateSigningKeyPair } from '../../../crypto/ed25519.ts';
import { ensureTenant, type Tenant } from '../../../core/tenancy/tenants.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';

describe.each(storageBackends)('tenant isolation on %s', (backend) => {
  let t: TestDatabase;
  let brand: Tenant;
  let other: Tenant;

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    brand = await ensureTenant(t.db, 'brand');
    other = await ensureTenant(t.db, 'other-brand');
    for (const tenant of [brand, other]) {
      await withTenant(t.db, tenant.id, (trx) =>
        trx
          .insertInto('peers')
          .values({ tenant_id: tenant.id, node_id: crypto.randomUUID(), name: `peer of ${tenant.slug}`, base_url: 'http://127.0.0.1:1', public_key: generateSigningKeyPair().publicKey })
          .execute(),
      );
    }
  });
  afterAll(() => t.dispose());

  it('shows a tenant only its own rows, even to a query with no tenant filter', async () => {
    const names = await withTenant(t.db, brand.id, (trx) => trx.selectFrom('peers').select('name').execute());
    expect(names).toEqual([{ name: 'peer of brand' }]);
    const byId = await withTenant(t.db, brand.id, (trx) =>
      sql<{ n: number }>`select count(*)::int as n from peers where tenant_id = ${other.id}`.execute(trx),
    );
    expect(byId.rows[0]!.n).toBe(0);
  });

  it("refuses writes into another tenant's rows", async () => {
    await expect(
      withTenant(t.db, brand.id, (trx) =>
        trx
          .insertInto('peers')
          .values({ tenant_id: other.id, node_id: crypto.randomUUID(), name: 'smuggled', base_url: 'http://x', public_key: generateSigningKeyPair().publicKey })
          .execute(),
      ),
    ).rejects.toThrow(/row-level security/);
    const updated = await withTenant(t.db, brand.id, (trx) =>
      trx.updateTable('peers').set({ name: 'hijacked' }).where('tenant_id', '=', other.id).executeTakeFirst(),
    );
    expect(updated.numUpdatedRows).toBe(0n);
    const theirs = await withTenant(t.db, other.id, (trx) => trx.selectFrom('peers').select('name').execute());
    expect(theirs).toEqual([{ name: 'peer of other-brand' }]);
  });

  it('cannot read system tables such as API keys from inside a tenant transaction', async () => {
    await expect(withTenant(t.db, brand.id, (trx) => trx.selectFrom('api_keys').selectAll().execute())).rejects.toThrow(/permission denied/);
  });

  it('keeps the audit log and processing records append-only, even for the owner', async () => {
    await withTenant(t.db, brand.id, async (trx) => {
      await recordAuditEvent(trx, { actor: 'test', action: 'thing.done', targetType: 'thing' });
      await recordProcessing(trx, { activity: 'test.run', purpose: 'audience.matching', actor: 'test', subjects_in: 10, subjects_out: 4, started_at: new Date(), finished_at: new Date() });
    });
    await expect(withTenant(t.db, brand.id, (trx) => trx.deleteFrom('audit_events').execute())).rejects.toThrow(/permission denied/);
    await expect(t.db.updateTable('audit_events').set({ action: 'rewritten' }).execute()).rejects.toThrow(/append-only/);
    await expect(t.db.deleteFrom('processing_records').execute()).rejects.toThrow(/append-only/);
    const records = await withTenant(t.db, other.id, (trx) => trx.selectFrom('processing_records').selectAll().execute());
    expect(records).toEqual([]);
  });

  it('refuses a tenant id that is not a UUID', async () => {
    await expect(withTenant(t.db, "x' or 1=1 --", async () => 1)).rejects.toThrow(/tenant id must be a UUID/);
  });
});

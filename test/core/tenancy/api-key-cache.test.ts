import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { changeFeedOf } from '../../../core/db/change-feed.ts';
import { openDatabase } from '../../../core/db/open-database.ts';
import { ApiKeyCache } from '../../../core/tenancy/api-key-cache.ts';
import { createApiKey, revokeApiKey } from '../../../core/tenancy/api-keys.ts';
import { ensureTenant } from '../../../core/tenancy/tenants.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';

describe.each(storageBackends)('API key memory on %s', (backend) => {
  let t: TestDatabase;
  let key: { id: string; token: string };
  /** Revokes behind the cache's back, announcing nothing. */
  const silentlyRevoke = () => sql`update api_keys set revoked_at = now() where id = ${key.id}`.execute(t.db);

  beforeEach(async () => {
    t = await openTestDatabase(backend);
    const tenant = await ensureTenant(t.db, 'brand');
    key = await createApiKey(t.db, { tenantId: tenant.id, name: 'k', scopes: ['consent:read'] });
    await vi.waitFor(() => expect(changeFeedOf(t.db).live).toBe(true));
  });
  afterEach(() => t.dispose());

  it('remembers a proven key, refuses a wrong secret for it, and forgets it the moment it is revoked', async () => {
    const cache = new ApiKeyCache(t.db);
    expect(await cache.authenticate(key.token)).toMatchObject({ keyId: key.id, scopes: ['consent:read'] });
    expect(await cache.authenticate(`accord_${key.id}_${'A'.repeat(43)}`)).toBeUndefined();
    await revokeApiKey(t.db, key.id);
    expect(await cache.authenticate(key.token)).toBeUndefined();
  });

  it('asks the database while the change feed is not live', async () => {
    const cache = new ApiKeyCache(t.db);
    expect(await cache.authenticate(key.token)).toBeDefined();
    await silentlyRevoke();
    expect(await cache.authenticate(key.token)).toBeDefined();
    changeFeedOf(t.db).setLive(false);
    expect(await cache.authenticate(key.token)).toBeUndefined();
    changeFeedOf(t.db).setLive(true);
  });

  it.runIf(backend === 'postgres')('forgets a key revoked by another process', async () => {
    const other = await openDatabase({ kind: 'postgres', url: t.url! });
    try {
      const cache = new ApiKeyCache(t.db);
      expect(await cache.authenticate(key.token)).toBeDefined();
      await revokeApiKey(other.db, key.id);
      await vi.waitFor(async () => expect(await cache.authenticate(key.token)).toBeUndefined());
    } finally {
      await other.close();
    }
  });
});

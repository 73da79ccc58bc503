/**
 * The keys this node's tenants pinned for a peer node, looked up across tenants (as the owner, before
 * any tenant is known): a node request names only the sending node, and each tenant that registered
 * it may have pinned a different key. A request is trusted only in the tenants whose key verifies it.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

export interface PinnedKey {
  readonly publicKey: Uint8Array;
  readonly tenantIds: readonly string[];
}

export async function pinnedKeysOf(db: Kysely<Database>, nodeId: string): Promise<PinnedKey[]> {
  const rows = await db.selectFrom('peers').select(['tenant_id', 'public_key']).where('node_id', '=', nodeId).execute();
  const byKey = new Map<string, { publicKey: Uint8Array; tenantIds: string[] }>();
  for (const row of rows) {
    const hex = Buffer.from(row.public_key).toString('hex');
    const entry = byKey.get(hex) ?? { publicKey: new Uint8Array(row.public_key), tenantIds: [] };
    entry.tenantIds.push(row.tenant_id);
    byKey.set(hex, entry);
  }
  return [...byKey.values()];
}

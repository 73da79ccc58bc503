/**
 * Destinations: an ad account on one platform that syncs send audiences to, with its credentials
 * sealed (sealed-credentials.ts). A view never carries the credentials. A disabled destination
 * takes no new syncs or runs; its ledger stays, so removals (withdrawal, erasure) still reach it.
 */
import { AccordError, notFound } from '../errors.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { AudienceConnectors } from './audience-connectors.ts';
import type { Credentials } from './credentials.ts';
import { openCredentials, sealCredentials } from './sealed-credentials.ts';

export interface DestinationInput {
  /** The connector's destination name: tencent, oceanengine, kuaishou, meta, google, tiktok, tiktok_file, ttd, amazon. */
  readonly connector: string;
  readonly name: string;
  readonly accountId: string;
  readonly credentials: Credentials;
}

export interface Destination {
  readonly id: number;
  readonly platform: string;
  readonly connector: string;
  readonly name: string;
  readonly accountId: string;
  readonly status: 'active' | 'disabled';
  readonly createdAt: Date;
  readonly disabledAt: Date | null;
}

const ACCOUNT_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

const columns = ['id', 'platform', 'connector', 'name', 'account_id', 'status', 'created_at', 'disabled_at'] as const;
type Row = { id: number; platform: string; connector: string; name: string; account_id: string; status: 'active' | 'disabled'; created_at: Date; disabled_at: Date | null };
const toDestination = (row: Row): Destination => ({ id: Number(row.id), platform: row.platform, connector: row.connector, name: row.name, accountId: row.account_id, status: row.status, createdAt: row.created_at, disabledAt: row.disabled_at });

export async function createDestination(trx: TenantTransaction, connectors: AudienceConnectors, masterKey: Uint8Array, input: DestinationInput): Promise<Destination> {
  const connector = connectors.find(input.connector);
  if (!connector) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `no connector ${JSON.stringify(input.connector)}; this node has ${connectors.destinations.join(', ')}`);
  if (!ACCOUNT_ID.test(input.accountId)) throw new AccordError('ACCORD_ERR_INVALID_INPUT', 'accountId is 1 to 64 letters, digits or ._:- (ids go as strings: some exceed 2^53)');
  if (!input.credentials.accessToken) throw new AccordError('ACCORD_ERR_INVALID_INPUT', 'credentials.accessToken is required');
  const owner = { tenantId: trx.tenantId, platform: connector.platform, accountId: input.accountId };
  const row = await trx
    .insertInto('activation_destinations')
    .values({ tenant_id: trx.tenantId, platform: connector.platform, connector: connector.destination, name: input.name, account_id: input.accountId, credentials_sealed: sealCredentials(masterKey, owner, input.credentials) })
    .returning(columns)
    .executeTakeFirstOrThrow();
  return toDestination(row);
}

export async function listDestinations(trx: TenantTransaction): Promise<Destination[]> {
  const rows = await trx.selectFrom('activation_destinations').select(columns).orderBy('id').execute();
  return rows.map(toDestination);
}

export async function findDestination(trx: TenantTransaction, id: number): Promise<Destination | undefined> {
  const row = await trx.selectFrom('activation_destinations').select(columns).where('id', '=', id).executeTakeFirst();
  return row && toDestination(row);
}

export async function disableDestination(trx: TenantTransaction, id: number): Promise<Destination> {
  const row = await trx
    .updateTable('activation_destinations')
    .set({ status: 'disabled', disabled_at: new Date() })
    .where('id', '=', id)
    .where('status', '=', 'active')
    .returning(columns)
    .executeTakeFirst();
  if (row) return toDestination(row);
  const existing = await findDestination(trx, id);
  if (!existing) throw notFound(`destination ${id}`);
  return existing;
}

/** The destination's credentials, open; for a platform call only. */
export async function destinationCredentials(trx: TenantTransaction, masterKey: Uint8Array, id: number): Promise<Credentials> {
  const row = await trx.selectFrom('activation_destinations').select(['platform', 'account_id', 'credentials_sealed']).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`destination ${id}`);
  return openCredentials(masterKey, { tenantId: trx.tenantId, platform: row.platform, accountId: row.account_id }, row.credentials_sealed);
}

/** Stores what a connector obtained by refreshing an expired token. */
export async function storeRefreshedCredentials(trx: TenantTransaction, masterKey: Uint8Array, id: number, credentials: Credentials): Promise<void> {
  const destination = await findDestination(trx, id);
  if (!destination) throw notFound(`destination ${id}`);
  const sealed = sealCredentials(masterKey, { tenantId: trx.tenantId, platform: destination.platform, accountId: destination.accountId }, credentials);
  await trx.updateTable('activation_destinations').set({ credentials_sealed: sealed }).where('id', '=', id).execute();
}

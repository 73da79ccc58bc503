/**
 * Syncs: an audience sent to one or more destinations for a consent purpose, once or on a schedule.
 * The audience is a segment or the matches of a PSI run; `audience_kind` names which, so another
 * kind (a lookalike expansion) is one more value and one more reader in audience-members.ts.
 * Each destination gets the platform id types it will hold, from its connector's profile: all of
 * them, or the first (or the one asked) where the platform holds one type per audience.
 */
import type { Regime } from '../../consent/consent-event.ts';
import { regimes } from '../../consent/consent-event.ts';
import { findPurpose } from '../consent/purposes.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { AccordError, notFound } from '../errors.ts';
import type { AudienceRef } from './audience-connector.ts';
import type { AudienceConnectors } from './audience-connectors.ts';

export type AudienceSource = { readonly kind: 'segment'; readonly segmentId: number } | { readonly kind: 'psi_matches'; readonly psiRunId: string };

export interface SyncInput {
  readonly name: string;
  readonly audience: AudienceSource;
  readonly destinations: ReadonlyArray<{ readonly id: number; readonly idTypes?: readonly string[] | undefined }>;
  readonly purpose: string;
  readonly regime: Regime;
  /** Seconds between runs for a dynamic audience; null: runs only when started. */
  readonly scheduleSeconds: number | null;
}

export interface SyncDestination {
  readonly destinationId: number;
  readonly connector: string;
  readonly platform: string;
  readonly accountId: string;
  readonly status: 'active' | 'disabled';
  readonly idTypes: readonly string[];
  readonly audience: AudienceRef | null;
}

export interface Sync {
  readonly id: number;
  readonly name: string;
  readonly audience: AudienceSource;
  readonly purpose: string;
  readonly regime: Regime;
  readonly scheduleSeconds: number | null;
  readonly status: 'active' | 'disabled';
  readonly createdAt: Date;
  readonly destinations: readonly SyncDestination[];
}

export async function createSync(trx: TenantTransaction, connectors: AudienceConnectors, input: SyncInput): Promise<Sync> {
  if (!(regimes as readonly string[]).includes(input.regime)) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `regime is one of ${regimes.join(', ')}`);
  const purpose = await findPurpose(trx, input.purpose);
  if (!purpose) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `purpose ${input.purpose} is not defined for this tenant`);
  if (!purpose.legalBasis[input.regime]) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `purpose ${input.purpose} is not processed under ${input.regime}`);
  if (input.audience.kind === 'segment') {
    const segment = await trx.selectFrom('segments').select('id').where('id', '=', input.audience.segmentId).executeTakeFirst();
    if (!segment) throw notFound(`segment ${input.audience.segmentId}`);
  } else {
    const run = await trx.selectFrom('psi_runs').select('id').where('id', '=', input.audience.psiRunId).executeTakeFirst();
    if (!run) throw notFound(`PSI run ${input.audience.psiRunId}`);
  }
  if (input.destinations.length === 0 || new Set(input.destinations.map((d) => d.id)).size !== input.destinations.length) {
    throw new AccordError('ACCORD_ERR_INVALID_INPUT', 'destinations lists one or more distinct destination ids');
  }
  const chosen: Array<{ id: number; idTypes: string[] }> = [];
  for (const wanted of input.destinations) {
    const destination = await trx.selectFrom('activation_destinations').select(['connector', 'status']).where('id', '=', wanted.id).executeTakeFirst();
    if (!destination) throw notFound(`destination ${wanted.id}`);
    if (destination.status !== 'active') throw new AccordError('ACCORD_ERR_CONFLICT', `destination ${wanted.id} is disabled`);
    const connector = connectors.find(destination.connector);
    if (!connector) throw new AccordError('ACCORD_ERR_CONFLICT', `destination ${wanted.id}: this node has no ${destination.connector} connector`);
    const offered = connector.identifiers.types.map((type) => type.type);
    const idTypes = wanted.idTypes && wanted.idTypes.length > 0 ? [...new Set(wanted.idTypes)] : connector.capabilities.idTypesPerAudience === 'one' ? offered.slice(0, 1) : offered;
    const unknown = idTypes.filter((type) => !offered.includes(type));
    if (unknown.length > 0) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `destination ${wanted.id} takes id types ${offered.join(', ')}, not ${unknown.join(', ')}`);
    if (connector.capabilities.idTypesPerAudience === 'one' && idTypes.length !== 1) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `destination ${wanted.id} holds one id type per audience`);
    chosen.push({ id: wanted.id, idTypes });
  }
  const row = await trx
    .insertInto('activation_syncs')
    .values({
      tenant_id: trx.tenantId,
      name: input.name,
      audience_kind: input.audience.kind,
      segment_id: input.audience.kind === 'segment' ? input.audience.segmentId : null,
      psi_run_id: input.audience.kind === 'psi_matches' ? input.audience.psiRunId : null,
      purpose: input.purpose,
      regime: input.regime,
      schedule_seconds: input.scheduleSeconds,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('activation_sync_destinations')
    .values(chosen.map((d) => ({ tenant_id: trx.tenantId, sync_id: Number(row.id), destination_id: d.id, id_types: JSON.stringify(d.idTypes) })))
    .execute();
  return (await findSync(trx, Number(row.id)))!;
}

export async function findSync(trx: TenantTransaction, id: number): Promise<Sync | undefined> {
  const row = await trx.selectFrom('activation_syncs').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  const destinations = await trx
    .selectFrom('activation_sync_destinations as s')
    .innerJoin('activation_destinations as d', (join) => join.onRef('d.tenant_id', '=', 's.tenant_id').onRef('d.id', '=', 's.destination_id'))
    .select(['s.destination_id', 's.id_types', 's.platform_audience', 'd.connector', 'd.platform', 'd.account_id', 'd.status'])
    .where('s.sync_id', '=', id)
    .orderBy('s.destination_id')
    .execute();
  return {
    id: Number(row.id),
    name: row.name,
    audience: row.audience_kind === 'segment' ? { kind: 'segment', segmentId: Number(row.segment_id) } : { kind: 'psi_matches', psiRunId: row.psi_run_id! },
    purpose: row.purpose,
    regime: row.regime as Regime,
    scheduleSeconds: row.schedule_seconds,
    status: row.status,
    createdAt: row.created_at,
    destinations: destinations.map((d) => ({
      destinationId: Number(d.destination_id),
      connector: d.connector,
      platform: d.platform,
      accountId: d.account_id,
      status: d.status,
      idTypes: d.id_types as string[],
      audience: (d.platform_audience as AudienceRef | null) ?? null,
    })),
  };
}

export async function requireSync(trx: TenantTransaction, id: number): Promise<Sync> {
  const sync = await findSync(trx, id);
  if (!sync) throw notFound(`sync ${id}`);
  return sync;
}

export async function listSyncs(trx: TenantTransaction): Promise<Sync[]> {
  const rows = await trx.selectFrom('activation_syncs').select('id').orderBy('id').execute();
  const syncs: Sync[] = [];
  for (const row of rows) syncs.push((await findSync(trx, Number(row.id)))!);
  return syncs;
}

export async function storePlatformAudience(trx: TenantTransaction, syncId: number, destinationId: number, audience: AudienceRef): Promise<void> {
  await trx
    .updateTable('activation_sync_destinations')
    .set({ platform_audience: JSON.stringify(audience) })
    .where('sync_id', '=', syncId)
    .where('destination_id', '=', destinationId)
    .execute();
}

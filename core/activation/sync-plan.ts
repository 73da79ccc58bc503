/**
 * What a run would change at one destination: the audience's members the consent gate allows for
 * the sync's purpose (and, where the purpose needs a named recipient, for the platform), against
 * the membership ledger. Adds are allowed members not on the platform; removes are members Accord
 * put there that are no longer allowed or no longer in the audience. Nothing Accord did not add is
 * ever removed: removes come from the ledger only. The gate writes its processing record.
 */
import { sql } from 'kysely';
import type { DeniedCounts } from '../../consent/gate-projection.ts';
import type { ConsentGate } from '../consent/consent-gate.ts';
import { consentedPersons, type ConsentedPersons } from '../consent/consented-persons.ts';
import { findPurpose } from '../consent/purposes.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { AudienceSource, Sync, SyncDestination } from './syncs.ts';

export interface DestinationPlan {
  readonly destinationId: number;
  readonly candidates: number;
  readonly consented: number;
  readonly excluded: DeniedCounts;
  /** Every allowed member, as the gate made them: what a replacement sends, and what preview opens. */
  readonly allowed: ConsentedPersons;
  /** Ascending person ids. */
  readonly adds: number[];
  readonly removes: number[];
  /** Members on the platform now, by the ledger. */
  readonly onPlatform: number;
}

/** The recipients a person must have consented to for this destination. */
export async function recipientsFor(trx: TenantTransaction, sync: Pick<Sync, 'purpose'>, platform: string): Promise<string[]> {
  const purpose = await findPurpose(trx, sync.purpose);
  return purpose?.requiresNamedRecipient ? [platform] : [];
}

export async function gateForSync(trx: TenantTransaction, gate: ConsentGate, sync: Sync, destination: SyncDestination, personIds: readonly number[], activity: string, actor: string, details: Record<string, unknown> = {}): Promise<ConsentedPersons> {
  return consentedPersons(trx, gate, personIds, {
    purpose: sync.purpose,
    recipients: await recipientsFor(trx, sync, destination.platform),
    regime: sync.regime,
    activity,
    actor,
    details: { syncId: sync.id, destinationId: destination.destinationId, ...details },
  });
}

/** Who a sync's audience holds now, before consent, each as the person that answers for them (an absorbed person: its survivor). */
async function audienceMembers(trx: TenantTransaction, audience: AudienceSource): Promise<number[]> {
  const { rows } =
    audience.kind === 'segment'
      ? await sql<{ id: string }>`
          select distinct coalesce(p.merged_into, p.id) as id
          from segment_members m join persons p on p.tenant_id = m.tenant_id and p.id = m.person_id
          where m.tenant_id = ${trx.tenantId}::uuid and m.segment_id = ${audience.segmentId}
          order by 1`.execute(trx)
      : await sql<{ id: string }>`
          select distinct coalesce(p.merged_into, p.id) as id
          from psi_matches m join persons p on p.tenant_id = m.tenant_id and p.id = m.person_id
          where m.tenant_id = ${trx.tenantId}::uuid and m.run_id = ${audience.psiRunId}::uuid
          order by 1`.execute(trx);
  return rows.map((row) => Number(row.id));
}

export async function planDestination(trx: TenantTransaction, gate: ConsentGate, sync: Sync, destination: SyncDestination, activity: string, actor: string): Promise<DestinationPlan> {
  const candidates = await audienceMembers(trx, sync.audience);
  const allowed = await gateForSync(trx, gate, sync, destination, candidates, activity, actor);
  const ledger = await trx
    .selectFrom('activation_members')
    .select(['person_id', 'state'])
    .where('sync_id', '=', sync.id)
    .where('destination_id', '=', destination.destinationId)
    .where('state', '!=', 'removed')
    .execute();
  const onPlatform = new Set<number>();
  const removing = new Set<number>();
  for (const row of ledger) (row.state === 'removing' ? removing : onPlatform).add(Number(row.person_id));
  const adds = allowed.ids().filter((id) => !onPlatform.has(id) && !removing.has(id));
  const removes = [...onPlatform].filter((id) => !allowed.has(id)).sort((a, b) => a - b);
  return { destinationId: destination.destinationId, candidates: allowed.candidates, consented: allowed.size, excluded: allowed.denied, allowed, adds, removes, onPlatform: onPlatform.size };
}

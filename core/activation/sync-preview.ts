/**
 * A dry run of a sync: per destination, what the audience holds, whom consent excludes (by reason),
 * how many members have each platform id type, members and identifiers refused by reason, and what
 * would be added and removed. Nothing is sent and nothing but the gate's processing record is written.
 */
import type { DeniedCounts } from '../../consent/gate-projection.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { memberInputs } from './member-inputs.ts';
import type { SyncEngine } from './send-chunk.ts';
import { planDestination } from './sync-plan.ts';
import { requireSync } from './syncs.ts';

export interface DestinationPreview {
  readonly destinationId: number;
  readonly connector: string;
  readonly audienceMembers: number;
  readonly consented: number;
  readonly consentExcluded: DeniedCounts;
  /** Allowed members with an id of each platform type. */
  readonly membersByIdType: Record<string, number>;
  /** Identifiers refused (invalid, wrong hash, not mainland …) and members with none usable, by reason. */
  readonly rejects: Record<string, number>;
  readonly adds: number;
  readonly removes: number;
  readonly onPlatform: number;
}

const PAGE = 5_000;

export async function previewSync(trx: TenantTransaction, engine: SyncEngine, syncId: number, actor: string): Promise<DestinationPreview[]> {
  const sync = await requireSync(trx, syncId);
  const previews: DestinationPreview[] = [];
  for (const destination of sync.destinations) {
    if (destination.status !== 'active') continue;
    const connector = engine.connectorOf(destination);
    const plan = await planDestination(trx, engine.deps.gate, sync, destination, 'activation.preview', actor);
    const membersByIdType: Record<string, number> = Object.fromEntries(destination.idTypes.map((type) => [type, 0]));
    const rejects: Record<string, number> = {};
    const allowedIds = plan.allowed.ids();
    for (let at = 0; at < allowedIds.length; at += PAGE) {
      for (const input of await memberInputs(trx, engine.keys, plan.allowed, sync.purpose, allowedIds.slice(at, at + PAGE))) {
        const prepared = connector.identifiers.prepare(input, destination.idTypes);
        for (const refusal of prepared.refused) rejects[refusal.reason] = (rejects[refusal.reason] ?? 0) + 1;
        if (!prepared.ok) {
          if (!prepared.refused.some((refusal) => refusal.reason === 'no_usable_identifier')) rejects.no_usable_identifier = (rejects.no_usable_identifier ?? 0) + 1;
          continue;
        }
        for (const type of new Set(prepared.member.ids.map((id) => id.type))) membersByIdType[type] = (membersByIdType[type] ?? 0) + 1;
      }
    }
    previews.push({ destinationId: destination.destinationId, connector: destination.connector, audienceMembers: plan.candidates, consented: plan.consented, consentExcluded: plan.excluded, membersByIdType, rejects, adds: plan.adds.length, removes: plan.removes.length, onPlatform: plan.onPlatform });
  }
  return previews;
}

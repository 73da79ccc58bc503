/**
 * Withdrawals reach the platforms: the consent ledger announces on the change feed which subjects'
 * consent may have changed (record-consent-event.ts); for each, a job asks the gate again, for every
 * sync the subjects' persons were sent by, and queues the removal of those no longer allowed at
 * every destination they are on. The feed can drop announcements (a lost listening connection);
 * each run re-gates its whole audience and removes whoever is no longer allowed, so a missed one
 * is caught at the sync's next run.
 */
import type { Kysely } from 'kysely';
import { parseConsentChange } from '../consent/consent-change.ts';
import type { ChangeFeed } from '../db/change-feed.ts';
import type { Database } from '../db/schema.ts';
import { withTenant, type TenantTransaction } from '../db/tenant-scope.ts';
import { enqueueJob } from '../jobs/enqueue-job.ts';
import type { JobContext } from '../jobs/job-runner.ts';
import { lockSentMembers, queueRemovals } from './queue-removals.ts';
import type { SyncEngine } from './send-chunk.ts';
import { gateForSync } from './sync-plan.ts';
import { findSync } from './syncs.ts';

export const ACTIVATION_CONSENT_JOB = 'activation.consent-changed';

/** Subscribes to consent changes; returns the unsubscribe. `wake` tells the job runner work is waiting. */
export function followConsentChanges(db: Kysely<Database>, feed: ChangeFeed, wake: () => void, onError: (error: unknown) => void = () => {}): () => void {
  return feed.subscribe('accord_consent', (payload) => {
    const change = parseConsentChange(payload);
    if (!change) return;
    withTenant(db, change.tenantId, async (trx) => {
      const sent = await trx.selectFrom('activation_members').select('person_id').where('state', 'in', ['present', 'kept']).limit(1).executeTakeFirst();
      if (!sent) return false;
      await enqueueJob(trx, ACTIVATION_CONSENT_JOB, { subjects: change.subjects });
      return true;
    }).then((queued) => queued && wake(), onError);
  });
}

/** Members on a platform whose consent subject is among `subjects` (all of them when null). */
async function sentMembersOf(trx: TenantTransaction, subjects: readonly string[] | null) {
  if (subjects !== null && subjects.length === 0) return [];
  let query = trx
    .selectFrom('activation_members as m')
    .innerJoin('persons as p', (join) => join.onRef('p.tenant_id', '=', 'm.tenant_id').onRef('p.id', '=', 'm.person_id'))
    .select(['m.sync_id', 'm.destination_id', 'm.person_id'])
    .where('m.state', 'in', ['present', 'kept']);
  if (subjects !== null) query = query.where('p.subject', 'in', [...subjects]);
  const rows = await query.orderBy('m.sync_id').orderBy('m.destination_id').orderBy('m.person_id').execute();
  return rows.map((row) => ({ syncId: Number(row.sync_id), destinationId: Number(row.destination_id), personId: Number(row.person_id) }));
}

export async function removeWithdrawn(job: JobContext, engine: SyncEngine): Promise<void> {
  const { subjects } = job.payload as { subjects: string[] | null };
  await job.inTenant(async (trx) => {
    await lockSentMembers(trx);
    const members = await sentMembersOf(trx, subjects);
    const groups = new Map<string, { syncId: number; destinationId: number; persons: number[] }>();
    for (const member of members) {
      const key = `${member.syncId}/${member.destinationId}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { syncId: member.syncId, destinationId: member.destinationId, persons: [] }));
      group.persons.push(member.personId);
    }
    for (const group of groups.values()) {
      const sync = await findSync(trx, group.syncId);
      const destination = sync?.destinations.find((d) => d.destinationId === group.destinationId);
      if (!sync || !destination) continue;
      const allowed = await gateForSync(trx, engine.deps.gate, sync, destination, group.persons, 'activation.withdrawal-check', 'accord:withdrawals');
      const withdrawn = group.persons.filter((id) => !allowed.has(id));
      if (withdrawn.length > 0) await queueRemovals(trx, group.syncId, group.destinationId, withdrawn, 'withdrawal', null);
    }
  });
}

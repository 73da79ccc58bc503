/**
 * Group commit for a tenant's consent chain. Every append holds the chain head's lock for the
 * whole transaction, so one-event writers queued one by one on it (about eight round trips each,
 * whatever the number of writers). Here, writers that arrive while a chain transaction of their
 * tenant is running wait in this process and then go in together: one transaction and a fixed
 * number of statements for the whole group (recordConsentEvents).
 *
 * Each writer still gets its own outcome, as if it had written alone: its events' sequence numbers
 * and duplicates, or its own refusal. A writer's events are all or nothing; one writer's bad event
 * never refuses another's. Refusals that validation can tell in advance (unknown purpose or notice,
 * scope, times, evidence) are found per writer before the group appends; if the append itself is
 * refused (an erased subject's grant, a client event id reused with other content), the group's
 * transaction rolls back and its writers go one by one instead, so the rare refusal costs a
 * replay, never a wrong answer. The chain, checkpoints and verification are unchanged: a group is
 * a batch, and a batch is events appended in order under one head lock.
 */
import type { Kysely } from 'kysely';
import { ConsentError } from '../../consent/consent-errors.ts';
import type { Database } from '../db/schema.ts';
import { withTenant } from '../db/tenant-scope.ts';
import { checkConsentEvents, MAX_EVENTS_PER_BATCH, recordConsentEvents, type ConsentEventInput, type RecordedEvent } from './record-consent-event.ts';

/** Events one group appends at most; leaves room below MAX_EVENTS_PER_BATCH for cascaded withdrawals. */
const MAX_GROUP_EVENTS = MAX_EVENTS_PER_BATCH / 2;

interface Writer {
  readonly inputs: readonly ConsentEventInput[];
  readonly resolve: (recorded: RecordedEvent[]) => void;
  readonly reject: (error: unknown) => void;
}

interface TenantQueue {
  waiting: Writer[];
  running: boolean;
}

export class ConsentGroupCommit {
  private readonly queues = new Map<string, TenantQueue>();

  constructor(private readonly db: Kysely<Database>) {}

  /** Records one writer's events (all or nothing) in the tenant's next chain transaction. */
  record(tenantId: string, inputs: readonly ConsentEventInput[]): Promise<RecordedEvent[]> {
    if (inputs.length > MAX_GROUP_EVENTS) {
      return Promise.reject(new ConsentError('ACCORD_ERR_CONSENT_INVALID', `at most ${MAX_GROUP_EVENTS} events per request`));
    }
    return new Promise((resolve, reject) => {
      let queue = this.queues.get(tenantId);
      if (!queue) this.queues.set(tenantId, (queue = { waiting: [], running: false }));
      queue.waiting.push({ inputs, resolve, reject });
      if (!queue.running) void this.drain(tenantId, queue);
    });
  }

  private async drain(tenantId: string, queue: TenantQueue): Promise<void> {
    queue.running = true;
    while (queue.waiting.length > 0) await this.commit(tenantId, takeGroup(queue.waiting));
    queue.running = false;
    this.queues.delete(tenantId);
  }

  private async commit(tenantId: string, group: Writer[]): Promise<void> {
    if (group.length === 1) return this.alone(tenantId, group[0]!);
    let outcomes: Array<RecordedEvent[] | ConsentError>;
    try {
      outcomes = await withTenant(this.db, tenantId, async (trx) => {
        const receivedAt = new Date();
        // One check over the whole group, so purposes and notices are looked up once per group.
        const checked = await checkConsentEvents(trx, group.flatMap((writer) => writer.inputs), receivedAt);
        let start = 0;
        const refusals = group.map((writer) => checked.slice(start, (start += writer.inputs.length)).find((refusal) => refusal !== undefined));
        const accepted = group.filter((_, i) => refusals[i] === undefined);
        const recorded = await recordConsentEvents(trx, accepted.flatMap((writer) => writer.inputs), receivedAt);
        let next = 0;
        return group.map((writer, i) => refusals[i] ?? recorded.slice(next, (next += writer.inputs.length)));
      });
    } catch (error) {
      if (!(error instanceof ConsentError)) {
        for (const writer of group) writer.reject(error);
        return;
      }
      // Refused at append: nothing of the group was written; each writer gets its own answer.
      for (const writer of group) await this.alone(tenantId, writer);
      return;
    }
    group.forEach((writer, i) => {
      const outcome = outcomes[i]!;
      if (outcome instanceof ConsentError) writer.reject(outcome);
      else writer.resolve(outcome);
    });
  }

  private async alone(tenantId: string, writer: Writer): Promise<void> {
    try {
      writer.resolve(await withTenant(this.db, tenantId, (trx) => recordConsentEvents(trx, writer.inputs)));
    } catch (error) {
      writer.reject(error);
    }
  }
}

/** The waiting writers, oldest first, up to MAX_GROUP_EVENTS events (always at least one writer). */
function takeGroup(waiting: Writer[]): Writer[] {
  let events = 0;
  let count = 0;
  while (count < waiting.length && (count === 0 || events + waiting[count]!.inputs.length <= MAX_GROUP_EVENTS)) {
    events += waiting[count]!.inputs.length;
    count += 1;
  }
  return waiting.splice(0, count);
}

const committers = new WeakMap<Kysely<Database>, ConsentGroupCommit>();

/** The group committer of a database handle: one per handle, so all its writers can join. */
export function consentGroupCommitOf(db: Kysely<Database>): ConsentGroupCommit {
  let committer = committers.get(db);
  if (!committer) committers.set(db, (committer = new ConsentGroupCommit(db)));
  return committer;
}

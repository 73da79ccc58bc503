/**
 * A segment's members for a purpose: the only way members leave a segment for processing. Members
 * become their consent subjects (an absorbed person answers through its survivor, which holds the
 * most restrictive consent of both), then subject keys, then the batch gate, which writes the
 * processing record in the caller's transaction.
 */
import { sql } from 'kysely';
import type { ConsentedSet } from '../../consent/gate-projection.ts';
import type { Regime } from '../../consent/consent-event.ts';
import type { ConsentGate } from '../consent/consent-gate.ts';
import { subjectKeysOf } from '../consent/record-consent-event.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { notFound } from '../errors.ts';

export interface PurposeRequest {
  readonly purpose: string;
  readonly recipient?: string | undefined;
  readonly regime: Regime;
  readonly activity: string;
  readonly actor: string;
  readonly at?: Date;
}

/** Subjects per subjectKeysOf statement: 2 parameters each. */
const PAGE = 10_000;

export async function segmentMembersFor(trx: TenantTransaction, gate: ConsentGate, segmentId: number, request: PurposeRequest): Promise<ConsentedSet> {
  const segment = await trx.selectFrom('segments').select('id').where('id', '=', segmentId).executeTakeFirst();
  if (!segment) throw notFound(`segment ${segmentId}`);
  const { rows } = await sql<{ subject: string }>`
    select distinct coalesce(s.subject, p.subject) as subject
    from segment_members m
    join persons p on p.tenant_id = m.tenant_id and p.id = m.person_id
    left join persons s on s.tenant_id = p.tenant_id and s.id = p.merged_into
    where m.tenant_id = ${trx.tenantId}::uuid and m.segment_id = ${segmentId}`.execute(trx);
  const keys = new Uint32Array(rows.length);
  let filled = 0;
  for (let i = 0; i < rows.length; i += PAGE) {
    const subjects = rows.slice(i, i + PAGE).map((row) => row.subject);
    const found = await subjectKeysOf(trx, subjects);
    for (const subject of subjects) keys[filled++] = found.get(subject)!;
  }
  return gate.evaluate(trx, { keys, purpose: request.purpose, recipient: request.recipient, regime: request.regime, at: request.at ?? new Date(), activity: request.activity, actor: request.actor });
}

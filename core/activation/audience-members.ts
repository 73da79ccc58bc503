/**
 * Who a sync's audience holds now, before consent: a segment's members or a PSI run's matched
 * persons, each as the person that answers for them (a person absorbed by a merge: its survivor).
 */
import { sql } from 'kysely';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { AudienceSource } from './syncs.ts';

export async function audienceMembers(trx: TenantTransaction, audience: AudienceSource): Promise<number[]> {
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

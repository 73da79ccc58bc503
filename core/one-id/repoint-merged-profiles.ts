/**
 * When persons merge, what was known about the absorbed one becomes the survivor's: orders and
 * behaviour events move, attributes move unless the survivor has a newer value for the key, and
 * tag values move unless the survivor has its own (the survivor's wins; SQL and rule tags are
 * recomputed on their next run anyway). Runs in the merge's transaction, a fixed number of statements.
 */
import { sql } from 'kysely';
import type { TenantTransaction } from '../db/tenant-scope.ts';

export async function repointMergedProfiles(trx: TenantTransaction, merges: ReadonlyArray<{ absorbed: number; survivor: number }>): Promise<void> {
  if (merges.length === 0) return;
  const moves = sql`unnest(${merges.map((m) => m.absorbed)}::bigint[], ${merges.map((m) => m.survivor)}::bigint[]) as m(absorbed, survivor)`;
  await sql`update orders o set person_id = m.survivor from ${moves} where o.person_id = m.absorbed`.execute(trx);
  await sql`update behaviour_events e set person_id = m.survivor from ${moves} where e.person_id = m.absorbed`.execute(trx);
  await sql`
    insert into person_attributes (tenant_id, person_id, key, value, source, observed_at)
    select distinct on (m.survivor, a.key) a.tenant_id, m.survivor, a.key, a.value, a.source, a.observed_at
      from person_attributes a join ${moves} on a.person_id = m.absorbed
     order by m.survivor, a.key, a.observed_at desc
    on conflict (tenant_id, person_id, key) do update set value = excluded.value, source = excluded.source, observed_at = excluded.observed_at
      where excluded.observed_at > person_attributes.observed_at`.execute(trx);
  await sql`delete from person_attributes a using ${moves} where a.person_id = m.absorbed`.execute(trx);
  await sql`
    insert into tag_values (tenant_id, tag_key, person_id, value, source, updated_at)
    select distinct on (m.survivor, t.tag_key) t.tenant_id, t.tag_key, m.survivor, t.value, t.source, t.updated_at
      from tag_values t join ${moves} on t.person_id = m.absorbed
     order by m.survivor, t.tag_key, t.updated_at desc
    on conflict (tenant_id, tag_key, person_id) do nothing`.execute(trx);
  await sql`delete from tag_values t using ${moves} where t.person_id = m.absorbed`.execute(trx);
}

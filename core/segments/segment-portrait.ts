/**
 * The aggregate profile of a segment: its members counted by a tag, an attribute, age band (from
 * the birthday attribute), lifecycle stage (the `lifecycle_stage` tag) or channel of the latest
 * paid order. A portrait is profiling: only the members the gate allows for it now are counted (a
 * member who withdrew since the segment was stored is not). Every cell goes through
 * kAnonymousCells; fewer than k such members get no portrait at all.
 */
import { sql, type RawBuilder } from 'kysely';
import type { ConsentGate } from '../consent/consent-gate.ts';
import { consentedPersonRows } from '../consent/consented-person-rows.ts';
import { profilingConsent } from '../consent/profiling-consent.ts';
import { PROFILING_PURPOSE } from '../consent/profiling-purpose.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { notFound } from '../errors.ts';
import { kAnonymousCells, type Cell } from './portrait-cells.ts';
import { segmentMemberIds } from './segment-store.ts';

export type PortraitDimension = { tag: string } | { attribute: string } | { builtIn: 'age_band' | 'lifecycle' | 'order_channel' };

export const DEFAULT_MIN_CELL = 10;
export const LIFECYCLE_TAG = 'lifecycle_stage';
const NONE = '(none)';

export interface Portrait {
  readonly segmentId: number;
  /** Members the gate allowed: the ones counted. */
  readonly members: number;
  readonly k: number;
  /** True when the segment has fewer than k members: then no distribution is given. */
  readonly suppressed: boolean;
  readonly distributions: Array<{ dimension: PortraitDimension; cells: Cell[] }>;
}

const AGE_BANDS = sql`case
  when age is null then ${NONE} when age < 18 then 'under 18' when age < 25 then '18-24' when age < 35 then '25-34'
  when age < 45 then '35-44' when age < 55 then '45-54' when age < 65 then '55-64' else '65+' end`;

/** One row per member in `consented_persons`: its value as text, or null when it has none. */
function valuesOf(dimension: PortraitDimension, tenantId: string, now: Date): RawBuilder<unknown> {
  const keyed = (table: 'tag_values' | 'person_attributes', key: string) =>
    sql`select x.value #>> '{}' as value from consented_persons m
      left join ${sql.table(table)} x on x.tenant_id = ${tenantId}::uuid and x.person_id = m.person_id and ${sql.ref(table === 'tag_values' ? 'x.tag_key' : 'x.key')} = ${key}`;
  if ('tag' in dimension) return keyed('tag_values', dimension.tag);
  if ('attribute' in dimension) return keyed('person_attributes', dimension.attribute);
  switch (dimension.builtIn) {
    case 'lifecycle':
      return keyed('tag_values', LIFECYCLE_TAG);
    case 'order_channel':
      return sql`select (select o.channel from orders o where o.tenant_id = ${tenantId}::uuid and o.person_id = m.person_id and o.status = 'paid' order by o.placed_at desc limit 1) as value
        from consented_persons m`;
    case 'age_band': {
      // Age from YYYY-MM-DD without casting to date, so one malformed birthday cannot fail the portrait.
      const year = now.getUTCFullYear();
      const monthDay = (now.getUTCMonth() + 1) * 100 + now.getUTCDate();
      return sql`select ${AGE_BANDS} as value from (
        select case when b ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}' then
          ${year}::int - substr(b, 1, 4)::int - case when substr(b, 6, 2)::int * 100 + substr(b, 9, 2)::int > ${monthDay}::int then 1 else 0 end end as age
        from (${keyed('person_attributes', 'birthday')}) as birthdays(b)) as ages`;
    }
  }
}

export async function segmentPortrait(
  trx: TenantTransaction,
  gate: ConsentGate,
  segmentId: number,
  dimensions: readonly PortraitDimension[],
  actor: string,
  k = DEFAULT_MIN_CELL,
  now = new Date(),
): Promise<Portrait> {
  const segment = await trx.selectFrom('segments').select('id').where('id', '=', segmentId).executeTakeFirst();
  if (!segment) throw notFound(`segment ${segmentId}`);
  const consented = await profilingConsent(trx, gate, await segmentMemberIds(trx, segmentId), { activity: 'segments.portrait', actor, details: { segmentId }, at: now });
  const members = consented.size;
  if (members < k) return { segmentId, members, k, suppressed: true, distributions: [] };
  const distributions = [];
  for (const dimension of dimensions) {
    const { rows } = await sql<{ value: string | null; count: number }>`
      with consented_persons as (${consentedPersonRows(consented, PROFILING_PURPOSE)})
      select value, count(*)::int as count from (${valuesOf(dimension, trx.tenantId, now)}) as v group by value`.execute(trx);
    distributions.push({ dimension, cells: kAnonymousCells(rows.map((row) => ({ value: row.value ?? NONE, count: Number(row.count) })), k) });
  }
  return { segmentId, members, k, suppressed: false, distributions };
}

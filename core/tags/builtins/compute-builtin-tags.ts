/**
 * The built-in tags of a tenant, computed together in one transaction and a fixed number of
 * statements (define the reserved tags if missing, ask the gate which persons may be profiled,
 * clear the values, one INSERT … SELECT each for RFM, lifecycle and CLV, mark them computed, one
 * processing record), whatever the tenant's size. Only persons the gate allowed are read and get
 * values: quintiles rank them among themselves, and a person who withdrew loses every built-in value.
 *
 * - RFM, over paid orders in the window: recency in whole days since the last order, frequency
 *   (orders), monetary (sum of amounts); quintile scores 1–5 with ntile (5 = most recent / most
 *   orders / most spent; ties are split by person id, as ntile must put equal values somewhere);
 *   the segment from rfm-segments.ts. Persons without an order in the window get no RFM values.
 * - Lifecycle stage, first rule that holds: registered_no_purchase (no paid order ever), churned
 *   (last paid order ≥ churnedDays ago), sleeping (≥ sleepingDays ago), loyal (≥ loyalMinPurchases
 *   paid orders in the last loyalWindowDays), new (first paid order ≤ newDays ago), else active.
 * - CLV estimate, a heuristic and not a forecast: average order value × orders per year (in the
 *   window) × expected lifetime in years; persons without an order in the window get none.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import { recordProcessing } from '../../audit/processing-records.ts';
import type { ConsentGate } from '../../consent/consent-gate.ts';
import { profilingConsent } from '../../consent/profiling-consent.ts';
import { PROFILING_PURPOSE } from '../../consent/profiling-purpose.ts';
import { anyOf } from '../../db/sql-any.ts';
import type { TenantTransaction } from '../../db/tenant-scope.ts';
import { MAX_WINDOW_DAYS, refuseRule } from '../rule-language.ts';
import { insertComputedValues } from '../write-computed-values.ts';
import { builtinTags } from './builtin-tag-keys.ts';
import { rfmSegments } from './rfm-segments.ts';

export const BUILTIN_TAGS_ACTIVITY = 'tags.compute-builtins';

const days = z.number().int().min(1).max(MAX_WINDOW_DAYS);

export const builtinTagOptionsSchema = z.strictObject({
  rfm: z.strictObject({ windowDays: days.default(365) }).default({ windowDays: 365 }),
  lifecycle: z
    .strictObject({ newDays: days.default(30), loyalMinPurchases: z.number().int().min(2).max(1000).default(3), loyalWindowDays: days.default(365), sleepingDays: days.default(90), churnedDays: days.default(180) })
    .refine((l) => l.sleepingDays < l.churnedDays, 'sleepingDays must be less than churnedDays')
    .default({ newDays: 30, loyalMinPurchases: 3, loyalWindowDays: 365, sleepingDays: 90, churnedDays: 180 }),
  clv: z.strictObject({ windowDays: days.default(365), lifetimeYears: z.number().positive().max(50).default(3) }).default({ windowDays: 365, lifetimeYears: 3 }),
});
export type BuiltinTagOptions = z.input<typeof builtinTagOptionsSchema>;

export interface BuiltinTagRun {
  persons: { rfm: number; lifecycle: number; clv: number };
  processingRecordId: string;
}

const keys = Object.keys(builtinTags);

function parseOptions(options: BuiltinTagOptions) {
  const parsed = builtinTagOptionsSchema.safeParse(options);
  if (!parsed.success) refuseRule(`built-in tag options are not valid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export async function computeBuiltinTags(trx: TenantTransaction, gate: ConsentGate, options: BuiltinTagOptions & { actor: string; asOf?: Date }): Promise<BuiltinTagRun> {
  const { actor, asOf = new Date(), ...rest } = options;
  const o = parseOptions(rest);
  const startedAt = new Date();
  const at = sql`${asOf.toISOString()}::timestamptz`;
  const ago = (n: number) => sql`(${at} - ${n}::int * interval '1 day')`;
  const source = `builtin:${actor}`;

  await trx
    .insertInto('tag_definitions')
    .values(
      Object.entries(builtinTags).map(([key, def]) => ({
        tenant_id: trx.tenantId,
        key,
        kind: 'rule' as const,
        value_type: def.valueType,
        multi_valued: false,
        description: def.description,
        owner: 'accord',
        rule: JSON.stringify({ builtin: def.builtin }),
        created_by: actor,
      })),
    )
    .onConflict((oc) => oc.columns(['tenant_id', 'key']).doNothing())
    .execute();
  const consented = await profilingConsent(trx, gate, 'all live persons', { activity: BUILTIN_TAGS_ACTIVITY, actor, details: { tags: 'builtins' } });
  await trx.deleteFrom('tag_values').where('tag_key', '=', anyOf(keys, 'text')).execute();

  const segment = sql.join(
    rfmSegments.map((s) => sql`when r between ${s.r[0]}::int and ${s.r[1]}::int and f between ${s.f[0]}::int and ${s.f[1]}::int then ${s.name}::text`),
    sql` `,
  );
  const rfm = await insertComputedValues(
    trx,
    sql`
      with base as (
        select p.id as person_id, floor(extract(epoch from (${at} - max(o.placed_at))) / 86400)::int as recency_days,
               count(*) as frequency, sum(o.amount) as monetary
        from persons p join consented_persons k on k.person_id = p.id join orders o on o.person_id = p.id
        where p.merged_into is null and o.status = 'paid' and o.placed_at <= ${at} and o.placed_at >= ${ago(o.rfm.windowDays)}
        group by p.id
      ),
      scored as (
        select b.*, ntile(5) over (order by recency_days desc, person_id) as r,
               ntile(5) over (order by frequency, person_id) as f,
               ntile(5) over (order by monetary, person_id) as m
        from base b
      ),
      segmented as (select s.*, case ${segment} end as segment from scored s)
      select v.tag_key, s.person_id, v.value from segmented s cross join lateral (values
        ('rfm_recency_days', to_jsonb(s.recency_days)), ('rfm_frequency', to_jsonb(s.frequency)), ('rfm_monetary', to_jsonb(s.monetary)),
        ('rfm_r_score', to_jsonb(s.r)), ('rfm_f_score', to_jsonb(s.f)), ('rfm_m_score', to_jsonb(s.m)), ('rfm_segment', to_jsonb(s.segment))
      ) as v(tag_key, value)`,
    source,
    consented,
  );

  const l = o.lifecycle;
  const lifecycle = await insertComputedValues(
    trx,
    sql`
      select 'lifecycle_stage'::text as tag_key, p.id as person_id, case
        when s.last_at is null then 'registered_no_purchase'
        when s.last_at <= ${ago(l.churnedDays)} then 'churned'
        when s.last_at <= ${ago(l.sleepingDays)} then 'sleeping'
        when s.in_loyal_window >= ${l.loyalMinPurchases}::int then 'loyal'
        when s.first_at >= ${ago(l.newDays)} then 'new'
        else 'active' end as value
      from persons p join consented_persons k on k.person_id = p.id cross join lateral (
        select min(o.placed_at) as first_at, max(o.placed_at) as last_at, count(*) filter (where o.placed_at >= ${ago(l.loyalWindowDays)}) as in_loyal_window
        from orders o where o.person_id = p.id and o.status = 'paid' and o.placed_at <= ${at}
      ) s
      where p.merged_into is null`,
    source,
    consented,
  );

  const clv = await insertComputedValues(
    trx,
    sql`
      select 'clv_estimate'::text as tag_key, p.id as person_id,
             round(sum(o.amount) / count(*) * (count(*) / (${o.clv.windowDays}::numeric / 365)) * ${o.clv.lifetimeYears}::numeric, 2) as value
      from persons p join consented_persons k on k.person_id = p.id join orders o on o.person_id = p.id
      where p.merged_into is null and o.status = 'paid' and o.placed_at <= ${at} and o.placed_at >= ${ago(o.clv.windowDays)}
      group by p.id`,
    source,
    consented,
  );

  await trx.updateTable('tag_definitions').set({ last_computed_at: new Date(), last_error: null }).where('key', '=', anyOf(keys, 'text')).execute();
  const processingRecordId = await recordProcessing(trx, {
    activity: BUILTIN_TAGS_ACTIVITY,
    purpose: PROFILING_PURPOSE,
    collaboration_id: null,
    actor,
    subjects_in: consented.size,
    subjects_out: lifecycle,
    started_at: startedAt,
    finished_at: new Date(),
    details: { asOf: asOf.toISOString(), options: o },
  });
  return { persons: { rfm: rfm / 7, lifecycle, clv }, processingRecordId };
}

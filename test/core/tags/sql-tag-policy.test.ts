import { describe, expect, it } from 'vitest';
import { checkSqlTagQuery } from '../../../core/tags/sql-tag-policy.ts';
import { TagError } from '../../../core/tags/tag-errors.ts';

async function refusal(query: string): Promise<{ code: string; reason: unknown }> {
  try {
    await checkSqlTagQuery(query);
  } catch (error) {
    if (error instanceof TagError) return { code: error.code, reason: error.extensions.reason };
    throw error;
  }
  throw new Error(`accepted: ${query}`);
}

describe('SQL tag policy (the parser layer)', () => {
  it.each([
    ['outdoor buyers: CTE, join, GROUP BY/HAVING, date arithmetic', `
      with recent as (
        select o.person_id, count(distinct o.order_id) as purchases
        from orders_v o join order_items_v i on i.order_id = o.order_id
        where o.status = 'paid' and i.category = 'outdoor' and o.placed_at >= now() - interval '90 days'
        group by o.person_id
        having count(distinct o.order_id) >= 2
      )
      select person_id, true as value from recent;`],
    ['window functions, CASE, extract, coalesce', `
      select person_id, case when rank() over (order by total desc) <= 10 then 'top' else coalesce(lower(tier), 'other') end as value
      from (select person_id, sum(amount) as total, max(extract(year from placed_at)) as y, null::text as tier from orders_v group by person_id) t`],
    ['attributes, events, other tags, EXISTS, IN, BETWEEN, LIKE, jsonb', `
      select p.person_id, a.value->>'city' as value
      from persons_v p join attributes_v a on a.person_id = p.person_id and a.key = 'city'
      where exists (select 1 from events_v e where e.person_id = p.person_id and e.type in ('view', 'click') and e.properties ? 'sku')
        and p.created_at between date '2024-01-01' and current_date
        and not exists (select 1 from tags_v t where t.person_id = p.person_id and t.tag like 'vip%')
        -- a trailing comment`],
    ['date_trunc, filter, nullif, greatest, casts, union of views', `
      select person_id, greatest(count(*) filter (where date_trunc('month', placed_at) = date_trunc('month', now())), 0)::numeric / nullif(count(*), 0) as value
      from orders_v group by person_id
      union all select person_id, 0 from persons_v`],
  ])('accepts %s', async (_name, query) => {
    await expect(checkSqlTagQuery(query)).resolves.toBeUndefined();
  });

  it.each([
    ['DROP TABLE', 'drop table orders', 'statement'],
    ['INSERT', `insert into tag_values values (1)`, 'statement'],
    ['UPDATE … RETURNING inside a CTE', `with d as (update orders_v set amount = 0 returning person_id, true as value) select * from d`, 'construct'],
    ['DELETE inside a CTE', `with d as (delete from orders_v returning person_id) select person_id, true as value from d`, 'construct'],
    ['pg_sleep', 'select pg_sleep(10)', 'function'],
    ['pg_sleep qualified', 'select person_id, true as value from persons_v where pg_catalog.pg_sleep(10) is null', 'function'],
    ['set_config on the tenant', `select set_config('accord.tenant_id', '00000000-0000-0000-0000-000000000000', true)`, 'function'],
    ['the tenants table', 'select id as person_id, true as value from tenants', 'relation'],
    ['the api_keys table', 'select 1 as person_id, secret_hash as value from public.api_keys', 'relation'],
    ['pg_catalog.pg_authid', 'select 1 as person_id, rolpassword as value from pg_catalog.pg_authid', 'relation'],
    ['a view name under another schema', 'select person_id, true as value from public.persons_v', 'relation'],
    ['a second statement', 'select person_id, true as value from persons_v; delete from orders', 'statements'],
    ['a second statement behind a block comment', 'select person_id, true as value from persons_v /* ; */ ; /* harmless */ delete from orders', 'statements'],
    ['a second statement after a line comment', 'select person_id, true as value from persons_v -- done\n; drop table orders', 'statements'],
    ["a union with another tenant's rows via a base table", 'select person_id, true as value from persons_v union select person_id, true from orders', 'relation'],
    ['COPY', 'copy orders to stdout', 'statement'],
    ['a recursive CTE', 'with recursive r(n) as (select 1 union all select n + 1 from r) select n as person_id, true as value from r', 'recursive'],
    ['FOR UPDATE', 'select person_id, true as value from persons_v for update', 'locking'],
    ['SELECT INTO', 'select person_id, true as value into stolen from persons_v', 'into'],
    ['a set-returning function in FROM', 'select g as person_id, true as value from generate_series(1, 1000000000) g', 'construct'],
    ['generate_series in the select list', 'select generate_series(1, 10) as person_id, true as value', 'function'],
    ['nextval', `select nextval('orders_id_seq') as person_id, true as value`, 'function'],
    ['dblink', `select * from persons_v where dblink('host=evil', 'select 1') is null`, 'function'],
    ['large objects', `select lo_import('/etc/passwd') as person_id, true as value`, 'function'],
    ['pg_read_file', `select 1 as person_id, pg_read_file('/etc/passwd') as value`, 'function'],
    ['advisory locks', 'select pg_advisory_lock(1) as person_id, true as value', 'function'],
    ['current_user', 'select 1 as person_id, current_user as value', 'function'],
    ['a reg* cast', `select 1 as person_id, 'pg_authid'::regclass::text as value`, 'type'],
    ['a regular expression', `select person_id, true as value from attributes_v where key ~ '(a+)+$'`, 'operator'],
    ['an operator from another schema', 'select person_id, 1 operator(public.+) 1 as value from persons_v', 'operator'],
    ['a bound parameter', 'select $1 as person_id, true as value', 'construct'],
    ['not SQL', 'select from where', 'syntax'],
    ['an explicit transaction', 'begin', 'statement'],
    ['SET ROLE', 'set role postgres', 'statement'],
    ['EXPLAIN ANALYZE', 'explain analyze select 1', 'statement'],
  ])('refuses %s', async (_name, query, reason) => {
    expect(await refusal(query)).toEqual({ code: 'ACCORD_ERR_TAG_SQL_REFUSED', reason });
  });

  it('refuses an overlong query before parsing it', async () => {
    expect(await refusal(`select person_id, true as value from persons_v where ${'true and '.repeat(3_000)}true`)).toEqual({ code: 'ACCORD_ERR_TAG_SQL_REFUSED', reason: 'too_long' });
  });
});

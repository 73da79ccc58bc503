/**
 * The output guard's ledger (core/guard/): one append-only row per decision the guard takes for a
 * collaboration (a run admitted or refused, an input refused, counts or a member list released or
 * withheld, the privacy budget spent), so a privacy officer can read every decision, and run and
 * privacy budgets are derived from it rather than kept in a counter someone could reset. Rows are
 * keyed by the collaboration's uuid without a foreign key: the guard stands apart from how
 * collaborations are stored.
 */
import { sql, type Kysely } from 'kysely';
import { isolateTenants, makeAppendOnly } from './tenant-table-ddl.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table guard_decisions (
      tenant_id uuid not null references tenants(id),
      id bigint generated always as identity,
      collaboration_id uuid not null,
      run_id text not null check (length(run_id) between 1 and 200),
      stage text not null check (stage in ('admit', 'input', 'counts', 'members')),
      outcome text not null check (outcome in ('admitted', 'refused', 'released', 'withheld')),
      reason text,
      epsilon_micros bigint not null default 0 check (epsilon_micros >= 0),
      details jsonb not null default '{}',
      decided_at timestamptz not null default now(),
      primary key (tenant_id, id),
      check ((stage in ('admit', 'input')) = (outcome in ('admitted', 'refused'))),
      check (outcome <> 'admitted' or stage = 'admit'),
      check ((outcome in ('refused', 'withheld')) = (reason is not null))
    )`.execute(db);
  await sql`create index guard_decisions_collaboration on guard_decisions (tenant_id, collaboration_id, stage, decided_at)`.execute(db);
  // A run is admitted once, and its counts and its member list are decided once: asking again
  // gets the recorded answer, never a fresh noise sample to average away.
  await sql`
    create unique index guard_decisions_once on guard_decisions (tenant_id, collaboration_id, run_id, stage)
      where outcome <> 'refused'`.execute(db);

  await isolateTenants(db, ['guard_decisions']);
  await sql`grant select, insert on guard_decisions to accord_tenant`.execute(db);
  await makeAppendOnly(db, ['guard_decisions']);
}

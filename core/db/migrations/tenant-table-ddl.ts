/**
 * DDL every tenant table gets, for migrations from 0003 on (0001 and 0002 spell it out and stay as
 * released): row-level security keyed on `accord.tenant_id`, and the append-only trigger for
 * tables that keep evidence. Grants stay in each migration: they are what differs.
 */
import { sql, type Kysely } from 'kysely';

export async function isolateTenants(db: Kysely<unknown>, tables: readonly string[]): Promise<void> {
  for (const table of tables) {
    const t = sql.table(table);
    await sql`alter table ${t} enable row level security`.execute(db);
    await sql`
      create policy tenant_isolation on ${t}
        using (tenant_id = nullif(current_setting('accord.tenant_id', true), '')::uuid)
        with check (tenant_id = nullif(current_setting('accord.tenant_id', true), '')::uuid)`.execute(db);
  }
}

/** UPDATE and DELETE are refused for everyone, the table owner included (reject_change from 0001). */
export async function makeAppendOnly(db: Kysely<unknown>, tables: readonly string[]): Promise<void> {
  for (const table of tables) {
    await sql`
      create trigger append_only before update or delete on ${sql.table(table)}
        for each row execute function reject_change()`.execute(db);
  }
}

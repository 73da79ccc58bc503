/**
 * Ingest speed (issue 4). A foreign key checks every inserted row with a query of its own and a
 * lock on the row it references. One member row writes eight rows into the tables below, and those
 * per-row checks were about half of the database's time in bulk ingest. They are replaced by
 * checks of the same rules that cost one query per statement:
 * - an inserted row names an existing tenant (an attribute, an existing person): an after-insert
 *   statement trigger anti-joins the statement's rows (its transition table) with tenants (persons);
 * - a row moved to another tenant (or person) must land on one that exists: checked per updated
 *   row, and only when an update sets those columns, which no code does;
 * - a tenant (person) that rows still name is not deleted: a trigger on it refuses, as the foreign
 *   key's NO ACTION did. Persons are never deleted anyway (the tenant role may not).
 * What is checked is what the foreign keys checked; only how often changes. Like identity_links
 * (0008), the tables keep no lock on the referenced row, which matters only for deleting tenants
 * or persons, something no code path does.
 */
import { sql, type Kysely } from 'kysely';

/** The tables one ingested member row writes. */
const tenantRowTables = ['identifiers', 'persons', 'identity_links', 'identity_cooccurrence', 'person_attributes'];

export async function up(db: Kysely<unknown>): Promise<void> {
  // security definer: the tenant role may not read tenants, and must not need to.
  await sql`
    create function reject_rows_of_unknown_tenants() returns trigger
    language plpgsql security definer set search_path = pg_catalog, public as $$
    begin
      if exists (select 1 from new_rows r where not exists (select 1 from tenants t where t.id = r.tenant_id)) then
        raise exception 'insert into % names a tenant that does not exist', tg_table_name using errcode = 'foreign_key_violation';
      end if;
      return null;
    end $$`.execute(db);
  await sql`
    create function reject_move_to_unknown_tenant() returns trigger
    language plpgsql security definer set search_path = pg_catalog, public as $$
    begin
      if new.tenant_id is distinct from old.tenant_id and not exists (select 1 from tenants t where t.id = new.tenant_id) then
        raise exception 'update of % names a tenant that does not exist', tg_table_name using errcode = 'foreign_key_violation';
      end if;
      return new;
    end $$`.execute(db);
  await sql`
    create function reject_delete_of_tenant_with_rows() returns trigger
    language plpgsql security definer set search_path = pg_catalog, public as $$
    begin
      if exists (select 1 from identifiers where tenant_id = old.id) or exists (select 1 from persons where tenant_id = old.id)
         or exists (select 1 from identity_links where tenant_id = old.id) or exists (select 1 from identity_cooccurrence where tenant_id = old.id)
         or exists (select 1 from person_attributes where tenant_id = old.id) then
        raise exception 'tenant % still has identity rows', old.id using errcode = 'foreign_key_violation';
      end if;
      return case tg_op when 'DELETE' then old else new end;
    end $$`.execute(db);

  for (const table of tenantRowTables) {
    const t = sql.table(table);
    await sql`alter table ${t} drop constraint ${sql.id(`${table}_tenant_id_fkey`)}`.execute(db);
    await sql`create trigger tenant_exists after insert on ${t} referencing new table as new_rows for each statement execute function reject_rows_of_unknown_tenants()`.execute(db);
    await sql`create trigger tenant_exists_on_move before update of tenant_id on ${t} for each row execute function reject_move_to_unknown_tenant()`.execute(db);
  }
  await sql`create trigger identity_rows_exist before delete or update of id on tenants for each row execute function reject_delete_of_tenant_with_rows()`.execute(db);

  // Attributes → persons, the same way.
  await sql`alter table person_attributes drop constraint person_attributes_tenant_id_person_id_fkey`.execute(db);
  await sql`
    create function reject_attributes_of_unknown_persons() returns trigger
    language plpgsql security definer set search_path = pg_catalog, public as $$
    begin
      if exists (select 1 from new_rows r where not exists (select 1 from persons p where p.tenant_id = r.tenant_id and p.id = r.person_id)) then
        raise exception 'insert into person_attributes names a person that does not exist' using errcode = 'foreign_key_violation';
      end if;
      return null;
    end $$`.execute(db);
  await sql`
    create function reject_attribute_move_to_unknown_person() returns trigger
    language plpgsql security definer set search_path = pg_catalog, public as $$
    begin
      if (new.tenant_id, new.person_id) is distinct from (old.tenant_id, old.person_id)
         and not exists (select 1 from persons p where p.tenant_id = new.tenant_id and p.id = new.person_id) then
        raise exception 'update of person_attributes names a person that does not exist' using errcode = 'foreign_key_violation';
      end if;
      return new;
    end $$`.execute(db);
  await sql`
    create function reject_delete_of_person_with_attributes() returns trigger
    language plpgsql security definer set search_path = pg_catalog, public as $$
    begin
      if exists (select 1 from person_attributes a where a.tenant_id = old.tenant_id and a.person_id = old.id) then
        raise exception 'person % still has attributes', old.id using errcode = 'foreign_key_violation';
      end if;
      return case tg_op when 'DELETE' then old else new end;
    end $$`.execute(db);
  await sql`
    create trigger person_exists after insert on person_attributes
      referencing new table as new_rows for each statement execute function reject_attributes_of_unknown_persons()`.execute(db);
  await sql`
    create trigger person_exists_on_move before update of tenant_id, person_id on person_attributes
      for each row execute function reject_attribute_move_to_unknown_person()`.execute(db);
  await sql`create trigger attributes_exist before delete or update of tenant_id on persons for each row execute function reject_delete_of_person_with_attributes()`.execute(db);
}

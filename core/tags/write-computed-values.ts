/**
 * Stores a computed tag result straight from a query, without carrying the rows through Node: one
 * INSERT … SELECT of (tag_key, person_id, value) rows, value being any SQL value (to_jsonb makes
 * it JSON). Only rows of the persons the gate allowed for profiling are written, whatever the
 * query returns; the query may join `consented_persons` (person_id) to read only theirs as well.
 * The query reads only live persons, so no person check is needed here. Null values are skipped.
 */
import { sql, type RawBuilder } from 'kysely';
import { consentedPersonRows } from '../consent/consented-person-rows.ts';
import type { ConsentedPersons } from '../consent/consented-persons.ts';
import { PROFILING_PURPOSE } from '../consent/profiling-purpose.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';

export async function insertComputedValues(
  trx: TenantTransaction,
  rows: RawBuilder<{ tag_key: string; person_id: number; value: unknown }>,
  source: string,
  consented: ConsentedPersons,
): Promise<number> {
  const result = await sql<{ written: string }>`
    with consented_persons as (${consentedPersonRows(consented, PROFILING_PURPOSE)}),
    computed as (${rows}),
    written as (
      insert into tag_values (tenant_id, tag_key, person_id, value, source)
      select ${trx.tenantId}::uuid, c.tag_key, c.person_id, to_jsonb(c.value), ${source}
      from computed c join consented_persons k on k.person_id = c.person_id
      where c.value is not null
      returning 1
    )
    select count(*) as written from written`.execute(trx);
  return Number(result.rows[0]!.written);
}

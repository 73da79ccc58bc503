/**
 * The persons of a ConsentedPersons as SQL rows (`person_id`), for statements that may read or
 * write only them: one array parameter, however many there are. The value is checked first, so a
 * forged one, or one the gate made for another purpose, is refused before any SQL runs.
 */
import { sql, type RawBuilder } from 'kysely';
import { ConsentedPersons } from './consented-persons.ts';

export function consentedPersonRows(consented: ConsentedPersons, purpose: string): RawBuilder<{ person_id: number }> {
  ConsentedPersons.check(consented, purpose);
  return sql<{ person_id: number }>`select unnest(${`{${consented.ids().join(',')}}`}::bigint[]) as person_id`;
}

/**
 * `column = any($1::type[])`: a list of any length as one parameter. An IN list takes one
 * parameter per value and Postgres stops at 65,535 of them, which batch paths reach.
 */
import { sql, type RawBuilder } from 'kysely';

export function anyOf<T extends number | string | Uint8Array>(values: readonly T[], type: 'bigint' | 'text' | 'bytea'): RawBuilder<T> {
  return sql<T>`any(${values}::${sql.raw(type)}[])`;
}

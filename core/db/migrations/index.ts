/** Every migration in order. Names sort by their number; a migration is never edited once released. */
import type { Migration } from 'kysely';
import * as foundation from './0001-foundation.ts';

export const migrations: Record<string, Migration> = {
  '0001-foundation': foundation,
};

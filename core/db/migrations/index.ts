/** Every migration in order. Names sort by their number; a migration is never edited once released. */
import type { Migration } from 'kysely';
import * as foundation from './0001-foundation.ts';
import * as consentLedger from './0002-consent-ledger.ts';

export const migrations: Record<string, Migration> = {
  '0001-foundation': foundation,
  '0002-consent-ledger': consentLedger,
};

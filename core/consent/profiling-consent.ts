/**
 * Persons the tenant may profile now: the gate's answer for analytics.profiling under the tenant's
 * first-party regime, among the given persons or among all its live persons. Tags, segments and
 * portraits take nothing else, so a person who withdrew drops out of each at its next run.
 */
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { firstPartyRegimeOf } from '../tenancy/first-party-regime.ts';
import type { ConsentGate } from './consent-gate.ts';
import { consentedPersons, type ConsentedPersons } from './consented-persons.ts';
import { PROFILING_PURPOSE } from './profiling-purpose.ts';

export interface ProfilingWork {
  readonly activity: string;
  readonly actor: string;
  /** What is computed (a tag, a segment): kept in the processing record. */
  readonly details?: Record<string, unknown> | undefined;
  readonly at?: Date | undefined;
}

export async function profilingConsent(trx: TenantTransaction, gate: ConsentGate, persons: Iterable<number> | 'all live persons', work: ProfilingWork): Promise<ConsentedPersons> {
  const candidates = persons === 'all live persons' ? (await trx.selectFrom('persons').select('id').where('merged_into', 'is', null).execute()).map((row) => Number(row.id)) : persons;
  return consentedPersons(trx, gate, candidates, { purpose: PROFILING_PURPOSE, regime: await firstPartyRegimeOf(trx), ...work });
}

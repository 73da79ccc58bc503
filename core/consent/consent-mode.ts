/**
 * Google Consent Mode v2 values (`ad_user_data`, `ad_personalization`) derived from the ledger for a
 * destination (reference/consent.md §3.3). A signal is GRANTED only when the mapping names at least
 * one (purpose, recipient) for it that applies to the destination (recipient = destination, or no
 * recipient) and every one of them holds an explicit, unexpired grant. Anything else, including
 * no record at all, is DENIED: Google treats missing consent as not consented.
 * Customer Match takes consent per upload job, so audiences are partitioned by the pair of values.
 */
import { allowsAt } from '../../consent/decide-state.ts';
import type { Regime } from '../../consent/consent-event.ts';
import { consentModeSignals, type ConsentModeSignal, type SignalMappingEntry } from '../../consent/signals/signal-mapping.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { currentSignalMapping } from './signal-mappings.ts';

export type ConsentModeValue = 'GRANTED' | 'DENIED';
export type ConsentMode = Record<ConsentModeSignal, ConsentModeValue>;

export interface ConsentModePartition extends ConsentMode {
  subjects: string[];
}

interface Query {
  destination: string;
  regime: Regime;
  at: Date;
}

/** Bounds the IN list of one state query. */
const SUBJECTS_PER_QUERY = 1_000;
const pairKey = (purpose: string, recipient: string) => `${purpose}\0${recipient}`;

/** Consent Mode values for many subjects, in input order, with the mapping version they were read through. */
export async function consentModeFor(
  trx: TenantTransaction,
  subjects: readonly string[],
  query: Query,
): Promise<{ mappingVersion: number; modes: Array<{ subject: string } & ConsentMode> }> {
  const mapping = await currentSignalMapping(trx);
  const destination = query.destination.normalize('NFC');
  const applies = (entry: SignalMappingEntry, signal: ConsentModeSignal) =>
    entry.googleConsentMode.includes(signal) && (entry.recipient === destination || entry.recipient === '');
  const needed = Object.fromEntries(consentModeSignals.map((signal) => [signal, mapping.entries.filter((entry) => applies(entry, signal))])) as Record<ConsentModeSignal, SignalMappingEntry[]>;
  const pairs = new Set(Object.values(needed).flat().map((entry) => pairKey(entry.purpose, entry.recipient)));
  const purposes = [...new Set(Object.values(needed).flat().map((entry) => entry.purpose))];

  const normalised = subjects.map((subject) => subject.normalize('NFC'));
  const granted = new Set<string>();
  if (purposes.length > 0) {
    for (let i = 0; i < normalised.length; i += SUBJECTS_PER_QUERY) {
      const rows = await trx
        .selectFrom('consent_state')
        .select(['subject', 'purpose', 'recipient', 'granted', 'expires_at'])
        .where('regime', '=', query.regime)
        .where('purpose', 'in', purposes)
        .where('subject', 'in', [...new Set(normalised.slice(i, i + SUBJECTS_PER_QUERY))])
        .execute();
      for (const row of rows) {
        // 'consent' basis: only an explicit, unexpired grant counts, whatever the regime's default.
        if (pairs.has(pairKey(row.purpose, row.recipient)) && allowsAt({ granted: row.granted, expiresAt: row.expires_at }, query.at, 'consent')) {
          granted.add(`${row.subject}\0${pairKey(row.purpose, row.recipient)}`);
        }
      }
    }
  }
  const valueOf = (subject: string, signal: ConsentModeSignal): ConsentModeValue =>
    needed[signal].length > 0 && needed[signal].every((entry) => granted.has(`${subject}\0${pairKey(entry.purpose, entry.recipient)}`)) ? 'GRANTED' : 'DENIED';
  return {
    mappingVersion: mapping.version,
    modes: normalised.map((subject) => ({ subject, ad_user_data: valueOf(subject, 'ad_user_data'), ad_personalization: valueOf(subject, 'ad_personalization') })),
  };
}

/** Subjects grouped by their Consent Mode pair: one upload job per group, never mixed. Empty groups are left out. */
export async function partitionByConsentMode(
  trx: TenantTransaction,
  subjects: readonly string[],
  query: Query,
): Promise<{ mappingVersion: number; partitions: ConsentModePartition[] }> {
  const { mappingVersion, modes } = await consentModeFor(trx, subjects, query);
  const partitions = new Map<string, ConsentModePartition>();
  const seen = new Set<string>();
  for (const { subject, ...mode } of modes) {
    if (seen.has(subject)) continue;
    seen.add(subject);
    const key = `${mode.ad_user_data}/${mode.ad_personalization}`;
    let partition = partitions.get(key);
    if (!partition) partitions.set(key, (partition = { ...mode, subjects: [] }));
    partition.subjects.push(subject);
  }
  return { mappingVersion, partitions: [...partitions.values()] };
}

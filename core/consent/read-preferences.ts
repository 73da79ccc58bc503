/**
 * Reads a subject's current preferences and their history. A subject nobody has heard of gets the
 * defaults, exactly as a known subject who never set anything does: the answer reveals no existence.
 */
import { effectivePreferences, emptyPreferenceState, type PreferenceState } from '../../consent/preference-state.ts';
import type { PreferencePatch, Preferences } from '../../consent/preferences.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { PreferenceChangeInput } from './record-preference-change.ts';

export interface CurrentPreferences {
  subject: string;
  preferences: Preferences;
  /** Collection time of the newest change, or null when there is none. */
  updatedAt: Date | null;
}

/** Current preferences of many subjects in one query, in input order. */
export async function currentPreferencesOf(trx: TenantTransaction, subjects: readonly string[]): Promise<CurrentPreferences[]> {
  const wanted = subjects.map((subject) => subject.normalize('NFC'));
  const rows = wanted.length === 0 ? [] : await trx
    .selectFrom('consent_preferences')
    .select(['subject', 'state', 'updated_at'])
    .where('subject', 'in', [...new Set(wanted)])
    .execute();
  const bySubject = new Map(rows.map((row) => [row.subject, row]));
  return wanted.map((subject) => {
    const row = bySubject.get(subject);
    return { subject, preferences: effectivePreferences((row?.state as PreferenceState | undefined) ?? emptyPreferenceState), updatedAt: row?.updated_at ?? null };
  });
}

export async function currentPreferences(trx: TenantTransaction, subject: string): Promise<CurrentPreferences> {
  const [current] = await currentPreferencesOf(trx, [subject]);
  return current!;
}

/** A change as stored: what was sent, with its place in the history and when the server got it. */
export interface PreferenceChangeRecord extends Omit<PreferenceChangeInput, 'subject'> {
  seq: number;
  receivedAt: Date;
}

/** The subject's changes, newest recorded first, paged by sequence number. */
export async function preferenceHistory(trx: TenantTransaction, subject: string, page: { limit: number; beforeSeq?: number | undefined }): Promise<PreferenceChangeRecord[]> {
  let query = trx
    .selectFrom('consent_preference_changes')
    .select(['seq', 'client_change_id', 'mode', 'patch', 'actor', 'channel', 'source', 'collected_at', 'received_at'])
    .where('subject', '=', subject.normalize('NFC'))
    .orderBy('seq', 'desc')
    .limit(page.limit);
  if (page.beforeSeq !== undefined) query = query.where('seq', '<', page.beforeSeq);
  const rows = await query.execute();
  return rows.map((row) => ({
    seq: row.seq,
    clientChangeId: row.client_change_id,
    mode: row.mode,
    preferences: row.patch as PreferencePatch,
    actor: row.actor,
    channel: row.channel,
    source: row.source,
    collectedAt: row.collected_at,
    receivedAt: row.received_at,
  }));
}

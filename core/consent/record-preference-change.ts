/**
 * Records a preference change: appends it to the subject's history (who, when collected, when
 * received, through which channel and source) and folds it into the current-state projection, in the
 * caller's transaction. Resubmitting a client change id returns the stored change instead of a copy.
 */
import { isDeepStrictEqual } from 'node:util';
import { checkClientTime } from '../../consent/collection-time.ts';
import { ConsentError } from '../../consent/consent-errors.ts';
import { applyPreferenceChange, effectivePreferences, emptyPreferenceState, type PreferenceState } from '../../consent/preference-state.ts';
import { validatePreferencePatch, type PreferencePatch, type Preferences } from '../../consent/preferences.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';

export interface PreferenceChangeInput {
  clientChangeId: string;
  subject: string;
  /** replace: the patch is the whole set of preferences; merge: only the fields it names change. */
  mode: 'replace' | 'merge';
  preferences: PreferencePatch;
  actor: string;
  /** Where the change was collected (e.g. web, app), and by what (e.g. preference-centre). */
  channel: string;
  source: string;
  collectedAt: Date;
}

export interface RecordedPreferenceChange {
  seq: number;
  duplicate: boolean;
  preferences: Preferences;
}

const nfc = (text: string) => text.normalize('NFC');

export async function recordPreferenceChange(trx: TenantTransaction, input: PreferenceChangeInput, receivedAt = new Date()): Promise<RecordedPreferenceChange> {
  const patch = validatePreferencePatch(input.preferences);
  checkClientTime('collectedAt', input.collectedAt, receivedAt);
  const subject = nfc(input.subject);
  const clientChangeId = nfc(input.clientChangeId);

  // Locks the subject's projection row (created empty on first sight): one writer per subject.
  const current = await trx
    .insertInto('consent_preferences')
    .values({ tenant_id: trx.tenantId, subject, state: JSON.stringify(emptyPreferenceState), updated_by_seq: 0, updated_at: input.collectedAt })
    .onConflict((oc) => oc.columns(['tenant_id', 'subject']).doUpdateSet((eb) => ({ subject: eb.ref('excluded.subject') })))
    .returning(['state', 'updated_at'])
    .executeTakeFirstOrThrow();
  const state = current.state as PreferenceState;

  const appended = await trx
    .insertInto('consent_preference_changes')
    .values({
      tenant_id: trx.tenantId,
      client_change_id: clientChangeId,
      subject,
      mode: input.mode,
      patch: JSON.stringify(patch),
      actor: input.actor,
      channel: nfc(input.channel),
      source: nfc(input.source),
      collected_at: input.collectedAt,
      received_at: receivedAt,
    })
    .onConflict((oc) => oc.columns(['tenant_id', 'client_change_id']).doNothing())
    .returning('seq')
    .executeTakeFirst();
  if (!appended) {
    const stored = await trx
      .selectFrom('consent_preference_changes')
      .select(['seq', 'subject', 'mode', 'patch', 'collected_at'])
      .where('client_change_id', '=', clientChangeId)
      .executeTakeFirstOrThrow();
    const same = stored.subject === subject && stored.mode === input.mode && stored.collected_at.getTime() === input.collectedAt.getTime() && isDeepStrictEqual(stored.patch, JSON.parse(JSON.stringify(patch)));
    if (!same) throw new ConsentError('ACCORD_ERR_CONSENT_DUPLICATE_MISMATCH', `preference change ${clientChangeId} was recorded with other content`);
    return { seq: stored.seq, duplicate: true, preferences: effectivePreferences(state) };
  }

  const seq = appended.seq;
  const next = applyPreferenceChange(state, { mode: input.mode, patch, version: { at: input.collectedAt.getTime(), seq } });
  const updatedAt = new Date(Math.max(current.updated_at.getTime(), input.collectedAt.getTime()));
  await trx
    .updateTable('consent_preferences')
    .set({ state: JSON.stringify(next), updated_by_seq: seq, updated_at: updatedAt })
    .where('subject', '=', subject)
    .execute();
  return { seq, duplicate: false, preferences: effectivePreferences(next) };
}

/**
 * The question messaging and activation code asks before reaching a person: may this subject be
 * contacted on this channel, about this topic, now? The consent gate is asked first for the
 * underlying purpose and its "no" is final; then the subject's preferences and the contact log.
 */
import { decideContact, type ContactReason } from '../../consent/contact-decision.ts';
import type { Regime } from '../../consent/consent-event.ts';
import { ConsentError } from '../../consent/consent-errors.ts';
import type { CapPeriod, SentCounts } from '../../consent/frequency-caps.ts';
import { checkContactChannel } from '../../consent/preferences.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { checkConsent, type GateReason } from './check-consent.ts';
import { sentCountsOf } from './contact-log.ts';
import { currentPreferencesOf } from './read-preferences.ts';

export interface ContactContext {
  channel: string;
  /** The purpose the message serves (e.g. marketing.sms); consent for it is checked first. */
  purpose: string;
  recipient?: string | undefined;
  regime: Regime;
  topic?: string | undefined;
  at: Date;
}

export interface ContactAnswer {
  subject: string;
  allowed: boolean;
  reason: ContactReason;
  /** What the consent gate said about the purpose. */
  consent: { allowed: boolean; reason: GateReason };
  capPeriod?: CapPeriod;
}

/** A batch is answered in one transaction; larger lists are split by the caller. */
export const MAX_SUBJECTS_PER_CONTACT_CHECK = 1_000;
const NOTHING_SENT: SentCounts = { day: 0, week: 0, month: 0 };

async function answer(trx: TenantTransaction, subjects: readonly string[], context: ContactContext, unlogged: number): Promise<ContactAnswer[]> {
  const channel = checkContactChannel(context.channel);
  if (subjects.length > MAX_SUBJECTS_PER_CONTACT_CHECK) throw new ConsentError('ACCORD_ERR_CONSENT_INVALID', `at most ${MAX_SUBJECTS_PER_CONTACT_CHECK} subjects per check`);
  const current = await currentPreferencesOf(trx, subjects);
  const sent = await sentCountsOf(trx, current.map((c) => c.subject), channel, context.at);
  const answers: ContactAnswer[] = [];
  for (const { subject, preferences } of current) {
    const gate = await checkConsent(trx, { subject, purpose: context.purpose, recipient: context.recipient, regime: context.regime, at: context.at });
    const logged = sent.get(subject) ?? NOTHING_SENT;
    const decision = decideContact({
      consentAllows: gate.allowed,
      preferences,
      channel,
      topic: context.topic,
      at: context.at,
      sent: { day: logged.day + unlogged, week: logged.week + unlogged, month: logged.month + unlogged },
    });
    answers.push({ subject, ...decision, consent: { allowed: gate.allowed, reason: gate.reason } });
  }
  return answers;
}

/**
 * One subject. `sentInWindow`: messages already sent or queued in this run that are not in the
 * contact log yet; they count against every cap window.
 */
export async function mayContact(trx: TenantTransaction, query: ContactContext & { subject: string; sentInWindow?: number | undefined }): Promise<ContactAnswer> {
  const unlogged = query.sentInWindow ?? 0;
  if (!Number.isInteger(unlogged) || unlogged < 0) throw new ConsentError('ACCORD_ERR_PREFERENCE_CAP', 'sentInWindow is a whole number of messages, 0 or more');
  const [only] = await answer(trx, [query.subject], query, unlogged);
  return only!;
}

/** Filters a list of subjects for one channel at one instant: who may be contacted, and why the rest may not. */
export async function mayContactMany(trx: TenantTransaction, query: ContactContext & { subjects: readonly string[] }): Promise<{ allowed: string[]; denied: ContactAnswer[] }> {
  const answers = await answer(trx, [...new Set(query.subjects.map((s) => s.normalize('NFC')))], query, 0);
  return { allowed: answers.filter((a) => a.allowed).map((a) => a.subject), denied: answers.filter((a) => !a.allowed) };
}

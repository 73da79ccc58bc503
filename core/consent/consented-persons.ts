/**
 * Which persons may be processed for a purpose with every one of its recipients, now: the batch
 * gate once per recipient (each writes its processing record in the caller's transaction), and a
 * person passes only if every answer allows them. Persons must be roots (not absorbed by a merge):
 * a root's consent subject holds the strictest consent of everyone merged into it.
 */
import type { Regime } from '../../consent/consent-event.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { consentSubjectOf } from '../one-id/person-subject.ts';
import type { ConsentGate } from './consent-gate.ts';
import { subjectKeysOf } from './record-consent-event.ts';

export interface PersonsPurpose {
  readonly purpose: string;
  /** Every recipient the people go to; none means the purpose's own processing. */
  readonly recipients: readonly string[];
  readonly regime: Regime;
  readonly activity: string;
  readonly actor: string;
  readonly collaborationId?: string;
  readonly at?: Date;
}

const PAGE = 10_000;

export async function consentedPersons(trx: TenantTransaction, gate: ConsentGate, persons: readonly number[], request: PersonsPurpose): Promise<Set<number>> {
  const keys = new Uint32Array(persons.length);
  const personOfKey = new Map<number, number>();
  for (let i = 0; i < persons.length; i += PAGE) {
    const page = persons.slice(i, i + PAGE);
    const subjects = page.map(consentSubjectOf);
    // Most subjects have keys already: read them, and write only the new ones (an upsert rewrites every row).
    const rows = await trx.selectFrom('consent_subjects').select(['subject', 'key']).where('subject', 'in', subjects).execute();
    const found = new Map(rows.map((row) => [row.subject, row.key]));
    const missing = subjects.filter((subject) => !found.has(subject));
    if (missing.length > 0) for (const [subject, key] of await subjectKeysOf(trx, missing)) found.set(subject, key);
    page.forEach((id, j) => {
      const key = found.get(subjects[j]!)!;
      keys[i + j] = key;
      personOfKey.set(key, id);
    });
  }
  let allowed: Set<number> | undefined;
  const at = request.at ?? new Date();
  for (const recipient of request.recipients.length > 0 ? request.recipients : ['']) {
    const answer = await gate.evaluate(trx, { keys, purpose: request.purpose, recipient, regime: request.regime, at, activity: request.activity, actor: request.actor, collaborationId: request.collaborationId });
    const persons = new Set(Array.from(answer.keys, (key) => personOfKey.get(key)!));
    allowed = allowed ? new Set([...allowed].filter((person) => persons.has(person))) : persons;
  }
  return allowed!;
}

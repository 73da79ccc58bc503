/**
 * Persons the consent gate allowed for one purpose, for every recipient asked, under one regime at
 * one instant: what tags, segments, portraits and PSI input take. consentedPersons() is the one
 * way to make it: each person becomes the consent subject it answers through (an absorbed person
 * its survivor's, which holds the most restrictive consent of both), then a subject key, then the
 * batch gate, once per recipient and each time only for those still allowed, so a person passes
 * only with consent for all of them and is counted once among the denied, for the first refusal.
 * Each gate call writes its processing record in the caller's transaction. Persons that do not
 * exist are left out.
 */
import { sql } from 'kysely';
import { ConsentError } from '../../consent/consent-errors.ts';
import type { Regime } from '../../consent/consent-event.ts';
import { ConsentedSet, type DeniedCounts } from '../../consent/gate-projection.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { ConsentGate } from './consent-gate.ts';
import { subjectKeysOf } from './record-consent-event.ts';

export interface PersonsRequest {
  readonly purpose: string;
  /** Every recipient the persons go to: a person passes only with consent for each; none means no recipient. */
  readonly recipients?: readonly string[] | undefined;
  readonly regime: Regime;
  /** What the persons are processed for, and by whom: goes into the processing record. */
  readonly activity: string;
  readonly actor: string;
  readonly collaborationId?: string | undefined;
  readonly details?: Record<string, unknown> | undefined;
  readonly at?: Date | undefined;
}

interface Answer {
  readonly ids: Float64Array;
  readonly purpose: string;
  readonly recipients: readonly string[];
  readonly regime: Regime;
  readonly at: Date;
  readonly candidates: number;
  readonly denied: DeniedCounts;
  readonly evaluatedAtSeq: number;
}

/** Known only to this module: what a ConsentedPersons is made with, so only consentedPersons() makes one. */
const minted = Symbol('minted from the consent gate');

export class ConsentedPersons {
  /** Ascending, distinct. */
  readonly #ids: Float64Array;
  readonly #at: number;
  readonly purpose: string;
  readonly recipients: readonly string[];
  readonly regime: Regime;
  /** Persons asked about that exist. */
  readonly candidates: number;
  readonly denied: DeniedCounts;
  /** The lowest ledger sequence number the gate's answers reflect. */
  readonly evaluatedAtSeq: number;

  constructor(mint: symbol, answer: Answer) {
    if (mint !== minted) throw new ConsentError('ACCORD_ERR_CONSENT_NOT_GATED', 'only consentedPersons() makes a ConsentedPersons');
    this.#ids = answer.ids.slice();
    this.#at = answer.at.getTime();
    this.purpose = answer.purpose;
    this.recipients = Object.freeze([...answer.recipients]);
    this.regime = answer.regime;
    this.candidates = answer.candidates;
    this.denied = Object.freeze({ ...answer.denied });
    this.evaluatedAtSeq = answer.evaluatedAtSeq;
    Object.freeze(this);
  }

  /** Refuses anything consentedPersons() did not make (a literal, a copy, a proxy), or one made for another purpose. */
  static check(value: unknown, purpose: string): asserts value is ConsentedPersons {
    if (typeof value !== 'object' || value === null || !(#ids in value)) throw new ConsentError('ACCORD_ERR_CONSENT_NOT_GATED', 'not a ConsentedPersons from the consent gate');
    if (value.purpose !== purpose) throw new ConsentError('ACCORD_ERR_CONSENT_NOT_GATED', `the consent gate answered for ${value.purpose}, not ${purpose}`);
  }

  get at(): Date {
    return new Date(this.#at);
  }

  get size(): number {
    return this.#ids.length;
  }

  has(personId: number): boolean {
    let low = 0;
    let high = this.#ids.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const id = this.#ids[middle]!;
      if (id === personId) return true;
      if (id < personId) low = middle + 1;
      else high = middle - 1;
    }
    return false;
  }

  /** The allowed person ids, ascending: a new copy on every call. */
  ids(): number[] {
    return Array.from(this.#ids);
  }
}
Object.freeze(ConsentedPersons.prototype);
Object.freeze(ConsentedPersons);

/** Persons per statement: one array parameter each. */
const PAGE = 50_000;
const idArray = (ids: readonly number[]) => `{${ids.join(',')}}`;

/** Each existing person among `personIds` (ascending) with the subject key it is gated under. */
async function subjectKeysOfPersons(trx: TenantTransaction, personIds: readonly number[]): Promise<{ persons: number[]; keys: Uint32Array }> {
  const persons: number[] = [];
  const keys: number[] = [];
  for (let i = 0; i < personIds.length; i += PAGE) {
    const { rows } = await sql<{ id: string; subject: string; key: number | null }>`
      select p.id, coalesce(s.subject, p.subject) as subject, k.key
      from persons p
      left join persons s on s.tenant_id = p.tenant_id and s.id = p.merged_into
      left join consent_subjects k on k.tenant_id = p.tenant_id and k.subject = coalesce(s.subject, p.subject)
      where p.tenant_id = ${trx.tenantId}::uuid and p.id = any(${idArray(personIds.slice(i, i + PAGE))}::bigint[])
      order by p.id`.execute(trx);
    // Most subjects have keys already: only the new ones are written (an upsert rewrites every row).
    const missing = [...new Set(rows.filter((row) => row.key === null).map((row) => row.subject))];
    const created = missing.length > 0 ? await subjectKeysOf(trx, missing) : new Map<string, number>();
    for (const row of rows) {
      persons.push(Number(row.id));
      keys.push(row.key ?? created.get(row.subject)!);
    }
  }
  return { persons, keys: Uint32Array.from(keys) };
}

export async function consentedPersons(trx: TenantTransaction, gate: ConsentGate, personIds: Iterable<number>, request: PersonsRequest): Promise<ConsentedPersons> {
  const asked = [...new Set(personIds)].sort((a, b) => a - b);
  let { persons, keys } = await subjectKeysOfPersons(trx, asked);
  const candidates = persons.length;
  const at = request.at ?? new Date();
  const recipients = request.recipients && request.recipients.length > 0 ? request.recipients : [''];
  const denied = { noConsent: 0, refused: 0, expired: 0 };
  let evaluatedAtSeq = Number.POSITIVE_INFINITY;
  for (const recipient of recipients) {
    const answer = await gate.evaluate(trx, { keys, purpose: request.purpose, recipient, regime: request.regime, at, activity: request.activity, actor: request.actor, collaborationId: request.collaborationId, details: request.details });
    ConsentedSet.check(answer, request.purpose);
    if (answer.size + answer.denied.noConsent + answer.denied.refused + answer.denied.expired !== keys.length) {
      throw new ConsentError('ACCORD_ERR_CONSENT_NOT_GATED', 'the consent gate answered for other subjects than it was asked about');
    }
    // The allowed keys come in the order asked, and one key has one answer: a walk in step maps them back.
    const allowed = answer.keys;
    const kept: number[] = [];
    let next = 0;
    keys.forEach((key, index) => {
      if (next < allowed.length && allowed[next] === key) {
        kept.push(index);
        next++;
      }
    });
    if (next !== allowed.length) throw new ConsentError('ACCORD_ERR_CONSENT_NOT_GATED', 'the consent gate answered for other subjects than it was asked about');
    persons = kept.map((index) => persons[index]!);
    keys = Uint32Array.from(kept, (index) => keys[index]!);
    denied.noConsent += answer.denied.noConsent;
    denied.refused += answer.denied.refused;
    denied.expired += answer.denied.expired;
    evaluatedAtSeq = Math.min(evaluatedAtSeq, answer.evaluatedAtSeq);
  }
  return new ConsentedPersons(minted, { ids: Float64Array.from(persons), purpose: request.purpose, recipients, regime: request.regime, at, candidates, denied, evaluatedAtSeq });
}

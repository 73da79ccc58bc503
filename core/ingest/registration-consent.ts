/**
 * A member row's registration consent: what the person agreed to when they joined (purpose, notice
 * version, time, channel), in `consent.` columns with the fields and checks of a consent import
 * (core/consent/import/import-row.ts) except two: the subject is the person the row resolves to,
 * and the event id is the run's and the row's, so a resumed run never records a consent twice.
 * `kind` defaults to `given`, `regime` to the tenant's first-party regime, `source` to the run.
 * Evidence is one column per entry, `consent.evidence.<key>`. Pure: no I/O.
 */
import type { EventKind, Regime } from '../../consent/consent-event.ts';
import { consentEventFields, noticeAndTime, type NoticeRef } from '../consent/import/import-row.ts';

/** A `consent.` cell of a row: its value and (CSV) its 1-based column. */
interface ConsentCell {
  readonly value: unknown;
  readonly column?: number | undefined;
}

/** What is wrong with one `consent.` cell (or a missing one) of a row. */
export interface ConsentProblem {
  readonly field: string;
  readonly column: number | undefined;
  readonly reason: string;
  readonly detail: string;
}

export const CONSENT_COLUMN_PREFIX = 'consent.';

const fields = consentEventFields.omit({ clientEventId: true }).partial({ regime: true, kind: true, source: true });
const FIELDS: readonly string[] = Object.keys(fields.shape).filter((name) => name !== 'evidence');
const EVIDENCE_FIELD = /^evidence\.([A-Za-z][A-Za-z0-9_]{0,99})$/;

export interface RegistrationConsent {
  readonly purpose: string;
  readonly recipient: string | undefined;
  readonly regime: Regime | undefined;
  readonly kind: EventKind;
  readonly notice: NoticeRef | undefined;
  readonly channel: string;
  readonly source: string | undefined;
  readonly collectedAt: Date;
  readonly subjectIsMinor: boolean | undefined;
  readonly evidence: Record<string, string> | undefined;
  /** The column of each field (CSV), to name it when the ledger refuses the consent later. */
  readonly columns: ReadonlyMap<string, number | undefined>;
}

/** Why a `consent.` column name means nothing, or undefined when it names a field. */
export function consentColumnProblem(field: string): string | undefined {
  if (FIELDS.includes(field) || EVIDENCE_FIELD.test(field)) return undefined;
  return `unknown consent column ${JSON.stringify(CONSENT_COLUMN_PREFIX + field)}: known are ${FIELDS.map((name) => CONSENT_COLUMN_PREFIX + name).join(', ')}, ${CONSENT_COLUMN_PREFIX}evidence.<key>`;
}

/** The row's consent from its non-blank `consent.` cells, keyed by field (`all` holds the blank ones too); or every problem of them. */
export function parseRegistrationConsent(cells: ReadonlyMap<string, ConsentCell>, all: ReadonlyMap<string, ConsentCell>): RegistrationConsent | ConsentProblem[] {
  const values: Record<string, unknown> = {};
  const evidence: Record<string, unknown> = {};
  for (const [field, cell] of cells) {
    const key = EVIDENCE_FIELD.exec(field)?.[1];
    if (key) evidence[key] = cell.value;
    else values[field] = cell.value;
  }
  if (Object.keys(evidence).length > 0) values.evidence = evidence;
  const issue = (field: string, reason: string, detail: string): ConsentProblem => ({ column: all.get(field)?.column, field: CONSENT_COLUMN_PREFIX + field, reason, detail });
  const parsed = fields.safeParse(values);
  if (!parsed.success) return parsed.error.issues.map((problem) => issue(String(problem.path[0] ?? 'purpose'), 'invalid_consent', `${CONSENT_COLUMN_PREFIX}${problem.path.join('.')}: ${problem.message}`));
  const consent = parsed.data;
  // Member files carry times with a UTC offset, like every other time of an ingest.
  const cited = noticeAndTime(consent, undefined);
  if ('field' in cited) return [issue(cited.field, cited.reason, `${CONSENT_COLUMN_PREFIX}${cited.field}: ${cited.detail}`)];
  return {
    purpose: consent.purpose,
    recipient: consent.recipient,
    regime: consent.regime,
    kind: consent.kind ?? 'given',
    notice: cited.notice,
    channel: consent.channel,
    source: consent.source,
    collectedAt: cited.collectedAt,
    subjectIsMinor: consent.subjectIsMinor,
    evidence: consent.evidence,
    columns: new Map([...all].map(([field, cell]) => [field, cell.column])),
  };
}

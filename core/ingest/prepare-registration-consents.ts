/**
 * The registration consents of an ingest chunk, through the ledger: checked before anything of
 * their rows is written (a consent the ledger would refuse refuses its row, as a bad cell does),
 * then recorded by the ledger's one writer for the persons the rows resolved to, in the chunk's
 * transaction, so a member and their consent commit together or not at all.
 */
import { ConsentError } from '../../consent/consent-errors.ts';
import { fieldOfCode, noticeIdOf } from '../consent/import/import-consent-records.ts';
import { checkConsentEvents, MAX_EVENTS_PER_BATCH, recordConsentEvents, type ConsentEventInput } from '../consent/record-consent-event.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { consentSubjectOf } from '../one-id/person-subject.ts';
import { firstPartyRegimeOf } from '../tenancy/first-party-regime.ts';
import type { IngestIssue, ParsedRow } from './ingest-row.ts';
import { CONSENT_COLUMN_PREFIX, type RegistrationConsent } from './registration-consent.ts';

export interface RegistrationConsents {
  /** Rows whose consent the ledger would refuse, with the reason. */
  readonly refused: ReadonlyMap<ParsedRow, IngestIssue>;
  /** Records the consents of the rows that were written, each under its person's consent subject. */
  record(persons: ReadonlyArray<{ row: ParsedRow; personId: number }>): Promise<void>;
}

type Checked = Omit<ConsentEventInput, 'subject' | 'clientEventId'>;

function refusal(row: ParsedRow, consent: RegistrationConsent, error: ConsentError): IngestIssue {
  const field = fieldOfCode[error.code];
  const column = field === 'noticeId' && consent.notice && 'key' in consent.notice ? 'noticeKey' : field;
  return { row: row.row, line: row.line, column: column === undefined ? undefined : consent.columns.get(column), field: column && CONSENT_COLUMN_PREFIX + column, reason: error.code, detail: error.message };
}

/** `source` names the run: events default to it as their source, and take their ids from it and the row. */
export async function prepareRegistrationConsents(trx: TenantTransaction, rows: readonly ParsedRow[], source: string): Promise<RegistrationConsents> {
  const refused = new Map<ParsedRow, IngestIssue>();
  const inputs = new Map<ParsedRow, Checked>();
  const regime = rows.some((row) => row.consent && !row.consent.regime) ? await firstPartyRegimeOf(trx) : undefined;
  const notices = new Map<string, Promise<string | undefined>>();
  for (const row of rows) {
    const consent = row.consent;
    if (!consent) continue;
    const noticeId = consent.notice && (await noticeIdOf(trx, notices, consent.notice));
    if (consent.notice && !noticeId) {
      const cited = 'id' in consent.notice ? consent.notice.id : `${consent.notice.key} v${consent.notice.version} (${consent.notice.language})`;
      refused.set(row, refusal(row, consent, new ConsentError('ACCORD_ERR_CONSENT_UNKNOWN_NOTICE', `no notice ${cited}`)));
      continue;
    }
    inputs.set(row, {
      purpose: consent.purpose,
      recipient: consent.recipient,
      regime: consent.regime ?? regime!,
      kind: consent.kind,
      noticeId,
      channel: consent.channel,
      source: consent.source ?? source,
      evidence: consent.evidence,
      collectedAt: consent.collectedAt,
      subjectIsMinor: consent.subjectIsMinor,
    });
  }
  const checked = await checkConsentEvents(trx, [...inputs.values()]);
  [...inputs.keys()].forEach((row, index) => {
    const error = checked[index];
    if (error) refused.set(row, refusal(row, row.consent!, error));
  });
  return {
    refused,
    async record(persons) {
      const events = persons.flatMap(({ row, personId }) => {
        const input = inputs.get(row);
        return input && !refused.has(row) ? [{ ...input, clientEventId: `${source}:row:${row.row}`, subject: consentSubjectOf(personId) }] : [];
      });
      for (let i = 0; i < events.length; i += MAX_EVENTS_PER_BATCH) await recordConsentEvents(trx, events.slice(i, i + MAX_EVENTS_PER_BATCH));
    },
  };
}

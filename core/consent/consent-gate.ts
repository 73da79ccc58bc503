/**
 * The batch gate: "which of these subjects may be processed for purpose P with recipient R, now?"
 * Answers from an in-memory projection per (tenant, purpose, recipient, regime), brought up to the
 * ledger head before every evaluation, so a withdrawal recorded a moment ago counts in the next run
 * in any process. Each evaluation writes a processing record in the caller's transaction.
 */
import { GateProjection, type ConsentedSet } from '../../consent/gate-projection.ts';
import type { Regime } from '../../consent/consent-event.ts';
import { recordProcessing } from '../audit/processing-records.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { ConsentError } from '../../consent/consent-errors.ts';
import { findPurpose } from './purposes.ts';

export interface GateRequest {
  keys: Uint32Array;
  purpose: string;
  recipient?: string;
  regime: Regime;
  at: Date;
  /** What the allowed set will be used for, and by whom: goes into the processing record. */
  activity: string;
  actor: string;
  collaborationId?: string;
}

const LOAD_PAGE = 200_000;

export class ConsentGate {
  private readonly projections = new Map<string, GateProjection>();

  async evaluate(trx: TenantTransaction, request: GateRequest): Promise<ConsentedSet> {
    const started = new Date();
    const purpose = await findPurpose(trx, request.purpose);
    if (!purpose) throw new ConsentError('ACCORD_ERR_CONSENT_UNKNOWN_PURPOSE', `unknown purpose ${request.purpose}`);
    const basis = purpose.legalBasis[request.regime];
    if (!basis) throw new ConsentError('ACCORD_ERR_CONSENT_INVALID', `purpose ${purpose.key} is not processed under ${request.regime}`);
    const recipient = (request.recipient ?? '').normalize('NFC');
    const projection = await this.current(trx, purpose.key, recipient, request.regime);
    const allowed = projection.evaluate(request.keys, request.at, basis);
    await recordProcessing(trx, {
      activity: request.activity,
      purpose: purpose.key,
      collaboration_id: request.collaborationId ?? null,
      actor: request.actor,
      subjects_in: request.keys.length,
      subjects_out: allowed.keys.length,
      started_at: started,
      finished_at: new Date(),
      details: { gate: { recipient, regime: request.regime, at: request.at.toISOString(), evaluatedAtSeq: allowed.evaluatedAtSeq, denied: allowed.denied } },
    });
    return allowed;
  }

  /** The projection, loaded or refreshed up to the ledger head as this transaction sees it. */
  private async current(trx: TenantTransaction, purpose: string, recipient: string, regime: Regime): Promise<GateProjection> {
    const id = `${trx.tenantId}\0${purpose}\0${recipient}\0${regime}`;
    let projection = this.projections.get(id);
    if (!projection) {
      projection = new GateProjection(purpose, recipient, regime);
      this.projections.set(id, projection);
    }
    const head = (await trx.selectFrom('consent_chain_heads').select('seq').executeTakeFirst())?.seq ?? 0;
    if (head === projection.seq) return projection;
    // Rows decided after what the projection holds; a first load takes them all, in key order pages.
    // No upper bound at `head`: under READ COMMITTED a row changed by a later commit must still be
    // read (its newer value), never skipped, or a denial could go missing; the next refresh applies
    // it again, which is harmless.
    let afterKey = -1;
    for (;;) {
      const rows = await trx
        .selectFrom('consent_state')
        .select(['subject_key', 'granted', 'expires_at', 'decided_by_seq'])
        .where('purpose', '=', purpose)
        .where('recipient', '=', recipient)
        .where('regime', '=', regime)
        .where('decided_by_seq', '>', projection.seq)
        .where('subject_key', '>', afterKey)
        .orderBy('subject_key')
        .limit(LOAD_PAGE)
        .execute();
      projection.apply(rows.map((row) => ({ subjectKey: row.subject_key, granted: row.granted, expiresAt: row.expires_at, decidedBySeq: row.decided_by_seq })));
      if (rows.length < LOAD_PAGE) break;
      afterKey = rows.at(-1)!.subject_key;
    }
    projection.seq = head;
    return projection;
  }
}

/**
 * The batch gate: "which of these subjects may be processed for purpose P with recipient R, now?"
 * Answers from an in-memory projection per (tenant, purpose, recipient, regime), brought up to the
 * ledger head before every evaluation, so a withdrawal recorded a moment ago counts in the next run
 * in any process. Each evaluation writes a processing record in the caller's transaction.
 *
 * A process holds one gate (the composition roots make it and hand it to the API, the job
 * processors and the CLI), so each projection is loaded once per process. Projections are
 * memory: one not used for a while is dropped, and the least recently used go first when they
 * hold more than the budget together. A dropped projection is loaded again in full when next
 * asked, so dropping one changes no answer.
 */
import { GateProjection, type ConsentedSet, type StateRow } from '../../consent/gate-projection.ts';
import type { Regime } from '../../consent/consent-event.ts';
import { recordProcessing } from '../audit/processing-records.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { ConsentError } from '../../consent/consent-errors.ts';
import { findPurpose } from './purposes.ts';

export interface GateRequest {
  keys: Uint32Array;
  purpose: string;
  recipient?: string | undefined;
  regime: Regime;
  at: Date;
  /** What the allowed set will be used for, and by whom: goes into the processing record. */
  activity: string;
  actor: string;
  collaborationId?: string | undefined;
  /** What the activity processed (a segment, a tag): kept in the processing record beside the gate's answer. */
  details?: Record<string, unknown> | undefined;
}

/** The consent_state rows of one projection decided after `afterSeq`, in key order after `afterKey`. */
export type StateRowReader = (
  trx: TenantTransaction,
  page: { purpose: string; recipient: string; regime: Regime; afterSeq: number; afterKey: number; limit: number },
) => Promise<StateRow[]>;

export interface ConsentGateOptions {
  /** Bytes all projections may hold together before the least recently used are dropped. */
  maxBytes?: number;
  /** A projection unused for this long is dropped at the next evaluation. */
  idleMs?: number;
  /** Milliseconds now; injected by tests that let time pass. */
  clock?: () => number;
  /** How state rows are read; injected by tests that interleave two refreshes. */
  readRows?: StateRowReader;
}

const LOAD_PAGE = 200_000;
/** About five projections of ten million subject keys. */
const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;
const DEFAULT_IDLE_MS = 15 * 60_000;

export const readStateRows: StateRowReader = async (trx, page) => {
  const rows = await trx
    .selectFrom('consent_state')
    .select(['subject_key', 'granted', 'expires_at', 'decided_by_seq'])
    .where('purpose', '=', page.purpose)
    .where('recipient', '=', page.recipient)
    .where('regime', '=', page.regime)
    .where('decided_by_seq', '>', page.afterSeq)
    .where('subject_key', '>', page.afterKey)
    .orderBy('subject_key')
    .limit(page.limit)
    .execute();
  return rows.map((row) => ({ subjectKey: row.subject_key, granted: row.granted, expiresAt: row.expires_at, decidedBySeq: row.decided_by_seq }));
};

export class ConsentGate {
  /** In order of last use, least recent first. */
  private readonly projections = new Map<string, { projection: GateProjection; usedAt: number }>();
  private readonly maxBytes: number;
  private readonly idleMs: number;
  private readonly clock: () => number;
  private readonly readRows: StateRowReader;

  constructor(options: ConsentGateOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
    this.clock = options.clock ?? Date.now;
    this.readRows = options.readRows ?? readStateRows;
  }

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
      subjects_out: allowed.size,
      started_at: started,
      finished_at: new Date(),
      details: { ...request.details, gate: { recipient, regime: request.regime, at: request.at.toISOString(), evaluatedAtSeq: allowed.evaluatedAtSeq, denied: allowed.denied } },
    });
    return allowed;
  }

  /** The projection, loaded or refreshed up to the ledger head as this transaction sees it. */
  private async current(trx: TenantTransaction, purpose: string, recipient: string, regime: Regime): Promise<GateProjection> {
    const id = `${trx.tenantId}\0${purpose}\0${recipient}\0${regime}`;
    const now = this.clock();
    const entry = this.projections.get(id) ?? { projection: new GateProjection(purpose, recipient, regime), usedAt: now };
    entry.usedAt = now;
    this.projections.delete(id);
    this.projections.set(id, entry);
    const { projection } = entry;
    const head = (await trx.selectFrom('consent_chain_heads').select('seq').executeTakeFirst())?.seq ?? 0;
    // A head at or below what the projection holds was applied already (perhaps by a refresh that
    // read the ledger later than this transaction does).
    if (head > projection.seq) {
      // Rows decided after what the projection holds; a first load takes them all, in key order pages.
      // No upper bound at `head`: under READ COMMITTED a row changed by a later commit must still be
      // read (its newer value), never skipped, or a denial could go missing; a row older than what
      // a key holds is ignored by apply, so reading it again is harmless.
      const afterSeq = projection.seq;
      let afterKey = -1;
      for (;;) {
        const rows = await this.readRows(trx, { purpose, recipient, regime, afterSeq, afterKey, limit: LOAD_PAGE });
        projection.apply(rows);
        if (rows.length < LOAD_PAGE) break;
        afterKey = rows.at(-1)!.subjectKey;
      }
      projection.advanceTo(head);
    }
    this.evict(now, id);
    return projection;
  }

  /** Drops idle projections, then the least recently used while over the budget; never the one in use. */
  private evict(now: number, inUse: string): void {
    let bytes = 0;
    for (const [id, entry] of this.projections) {
      if (id !== inUse && now - entry.usedAt > this.idleMs) this.projections.delete(id);
      else bytes += entry.projection.bytes;
    }
    for (const [id, entry] of this.projections) {
      if (bytes <= this.maxBytes) break;
      if (id === inUse) continue;
      this.projections.delete(id);
      bytes -= entry.projection.bytes;
    }
  }
}

/**
 * The point gate as the API serves it: answers from memory when it can, from the ledger when it
 * must, and always the same answer checkConsent would give now. Purposes never change once defined,
 * so they are kept; a subject's decisions are kept until the ledger announces a change for that
 * subject (recordConsentEvents publishes on commit), and nothing is answered from memory while the
 * change feed is not live. A ledger read that raced a change is not remembered.
 */
import type { Kysely } from 'kysely';
import type { ConsentDecision } from '../../consent/decide-state.ts';
import type { Purpose } from '../../consent/purpose.ts';
import { changeFeedOf, type ChangeFeed } from '../db/change-feed.ts';
import type { Database } from '../db/schema.ts';
import { withTenant } from '../db/tenant-scope.ts';
import { answerFrom, type GateAnswer, type PointQuery } from './check-consent.ts';
import { parseConsentChange } from './consent-change.ts';
import { findPurpose } from './purposes.ts';
import { currentDecision } from './record-consent-event.ts';

/** Subjects kept per tenant before the tenant's memory starts over. */
const MAX_SUBJECTS = 500_000;

interface TenantMemory {
  generation: number;
  readonly purposes: Map<string, Purpose>;
  /** subject → (purpose, recipient, regime) → decision, or null for "no decision". */
  readonly decisions: Map<string, Map<string, ConsentDecision | null>>;
}

export class PointGate {
  private readonly tenants = new Map<string, TenantMemory>();
  private readonly feed: ChangeFeed;

  constructor(private readonly db: Kysely<Database>) {
    this.feed = changeFeedOf(db);
    this.feed.subscribe('accord_consent', (payload) => {
      const change = parseConsentChange(payload);
      const memory = change && this.tenants.get(change.tenantId);
      if (!change) return this.tenants.clear();
      if (!memory) return;
      memory.generation++;
      if (change.subjects === null) memory.decisions.clear();
      else for (const subject of change.subjects) memory.decisions.delete(subject);
    });
    this.feed.onReset(() => this.tenants.clear());
  }

  async check(tenantId: string, query: PointQuery): Promise<GateAnswer> {
    const subject = query.subject.normalize('NFC');
    const stateKey = `${query.purpose}\0${(query.recipient ?? '').normalize('NFC')}\0${query.regime}`;
    const memory = this.memoryOf(tenantId);
    if (this.feed.live) {
      const purpose = memory.purposes.get(query.purpose);
      const decision = memory.decisions.get(subject)?.get(stateKey);
      if (purpose && decision !== undefined) return answerFrom(purpose, decision ?? undefined, query.regime, query.at);
    }
    const generation = memory.generation;
    const { purpose, decision } = await withTenant(this.db, tenantId, async (trx) => {
      const found = await findPurpose(trx, query.purpose);
      return { purpose: found, decision: found && (await currentDecision(trx, { subject, purpose: found.key, recipient: (query.recipient ?? '').normalize('NFC'), regime: query.regime })) };
    });
    if (purpose && this.feed.live && generation === memory.generation && this.tenants.get(tenantId) === memory) {
      memory.purposes.set(purpose.key, purpose);
      if (memory.decisions.size >= MAX_SUBJECTS) memory.decisions.clear();
      let decisions = memory.decisions.get(subject);
      if (!decisions) memory.decisions.set(subject, (decisions = new Map()));
      decisions.set(stateKey, decision ?? null);
    }
    return answerFrom(purpose, decision, query.regime, query.at);
  }

  private memoryOf(tenantId: string): TenantMemory {
    let memory = this.tenants.get(tenantId);
    if (!memory) this.tenants.set(tenantId, (memory = { generation: 0, purposes: new Map(), decisions: new Map() }));
    return memory;
  }
}

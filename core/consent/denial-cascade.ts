/**
 * Purposes are hierarchical (`marketing` ⊃ `marketing.advertising` ⊃ `marketing.advertising.lookalike`).
 * Grants count only for the exact purpose they name (PIPL wants consent that is specific), so a parent
 * opt-in never overrides a child opt-out. Denials cascade the other way: refusing or withdrawing
 * `marketing` withdraws every narrower purpose the person had granted, for every recipient. The
 * cascade is written to the ledger as derived `withdrawn` events, so it is as provable as the
 * person's own choice and the gate needs no hierarchy logic.
 */
import { grantingKinds, type EventKind, type Regime } from '../../consent/consent-event.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';

const CASCADING: ReadonlySet<EventKind> = new Set(['refused', 'withdrawn']);

export interface BatchEvent {
  clientEventId: string;
  subject: string;
  purpose: string;
  recipient: string;
  regime: Regime;
  kind: EventKind;
  channel: string;
  collectedAt: Date;
}

export interface DerivedWithdrawal {
  clientEventId: string;
  subject: string;
  purpose: string;
  recipient: string;
  regime: Regime;
  kind: 'withdrawn';
  channel: string;
  source: string;
  evidence: Record<string, string>;
  collectedAt: Date;
}

/**
 * Withdrawals of the narrower purposes each denial in the batch covers: for grants already in the
 * state, and for grants earlier in the same batch, collected no later than the denial.
 */
export async function cascadedWithdrawals(trx: TenantTransaction, batch: readonly BatchEvent[]): Promise<DerivedWithdrawal[]> {
  const sources = batch.filter((event) => CASCADING.has(event.kind));
  if (sources.length === 0) return [];
  const stored = await trx
    .selectFrom('consent_state')
    .select(['subject', 'purpose', 'recipient', 'regime', 'decided_at'])
    .where('granted', '=', true)
    .where('subject', 'in', [...new Set(sources.map((s) => s.subject))])
    .where((eb) => eb.or(sources.map((s) => eb('purpose', 'like', `${s.purpose}.%`))))
    .execute();
  const inBatch = batch.filter((event) => grantingKinds.has(event.kind)).map((event) => ({ ...event, decided_at: event.collectedAt }));
  const granted = new Map([...stored, ...inBatch].map((state) => [`${state.subject}\0${state.purpose}\0${state.recipient}\0${state.regime}`, state]));
  const derived: DerivedWithdrawal[] = [];
  for (const source of sources) {
    for (const state of granted.values()) {
      if (state.subject !== source.subject || state.regime !== source.regime || !state.purpose.startsWith(`${source.purpose}.`)) continue;
      if (state.decided_at.getTime() > source.collectedAt.getTime()) continue;
      derived.push({
        clientEventId: `${source.clientEventId}/cascade/${state.purpose}/${state.recipient}`,
        subject: source.subject,
        purpose: state.purpose,
        recipient: state.recipient,
        regime: source.regime,
        kind: 'withdrawn',
        channel: source.channel,
        source: `cascade:${source.purpose}`,
        evidence: { cascadeOf: source.clientEventId },
        collectedAt: source.collectedAt,
      });
    }
  }
  return derived;
}

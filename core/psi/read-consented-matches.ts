/**
 * Reading a run's stored matches (and the partner payloads they opened) is processing those people
 * for the collaboration's purpose, so every read asks the consent gate again, as of now, for the
 * purpose and each of its recipients, and writes the gate's processing record: a withdrawal since
 * the run leaves the person out of the next read, and a renewed consent brings them back. A match
 * whose person was merged since answers through the survivor's consent. The reader learns how many
 * were left out, never who: a page is filled with allowed matches only, and its cursor is always an
 * allowed person.
 */
import { consentedPersons } from '../consent/consented-persons.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { loadPsiCollaboration } from './psi-collaboration.ts';
import { matchedPersons } from './psi-matches.ts';
import type { PsiNode } from './psi-node.ts';
import { requireRun } from './psi-runs.ts';

export interface ConsentedMatch {
  readonly personId: number;
  readonly idType: string;
  readonly partnerTags: Record<string, unknown> | null;
}

export interface ConsentedMatchesPage {
  readonly items: ConsentedMatch[];
  /** Matches up to the cursor that the gate left out. */
  readonly excluded: number;
  /** The last person of a full page; null at the end. */
  readonly next: number | null;
}

export async function readConsentedMatches(trx: TenantTransaction, node: PsiNode, runId: string, page: { after: number; limit: number }, actor: string): Promise<ConsentedMatchesPage> {
  const run = await requireRun(trx, runId);
  // Stored matches outlive the collaboration's end; their purpose and recipients do not change.
  const collaboration = await loadPsiCollaboration(trx, node.identity.nodeId, run.collaboration_id, new Date(), { allowClosed: true });
  const request = { purpose: collaboration.purpose, recipients: collaboration.recipients, regime: collaboration.regime, activity: 'psi.matches.read', actor, collaborationId: collaboration.id, at: new Date() };
  const items: ConsentedMatch[] = [];
  let excluded = 0;
  let after = page.after;
  for (;;) {
    const rows = await matchedPersons(trx, runId, { after, limit: page.limit });
    if (rows.length === 0) return { items, excluded, next: null };
    const allowed = await consentedPersons(trx, node.gate, [...new Set(rows.map((row) => Number(row.root)))], request);
    for (const row of rows) {
      after = Number(row.person_id);
      if (!allowed.has(Number(row.root))) excluded++;
      else items.push({ personId: after, idType: row.id_type, partnerTags: row.payload ?? null });
      if (items.length === page.limit) return { items, excluded, next: after };
    }
    if (rows.length < page.limit) return { items, excluded, next: null };
  }
}

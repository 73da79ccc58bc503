/**
 * A collaboration allows scoring when its purpose is one people consent to for it: `scoring` or a
 * purpose under it (lead scores), or `audience.lookalike` (lookalike audiences). The consent gate
 * then asks each person's consent for exactly that purpose and the collaboration's recipients, on
 * both nodes, before anyone enters training or scoring. A model runs between the collaboration's
 * brand and one of its providers.
 */
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { loadPsiCollaboration, peerAddressOf, type PsiCollaboration, type PsiParty } from '../psi/psi-collaboration.ts';
import type { ModelTarget } from './model-agreement.ts';
import { ScoringError } from './scoring-errors.ts';

export const LOOKALIKE_PURPOSE = 'audience.lookalike';

export const allowsScoring = (purpose: string) => purpose === 'scoring' || purpose.startsWith('scoring.') || purpose === LOOKALIKE_PURPOSE || purpose.startsWith(`${LOOKALIKE_PURPOSE}.`);

/** Lookalike models need a lookalike purpose; lead scores a scoring one. */
const purposeFits = (purpose: string, target: ModelTarget) => (target === 'lookalike' ? purpose === LOOKALIKE_PURPOSE || purpose.startsWith(`${LOOKALIKE_PURPOSE}.`) : purpose === 'scoring' || purpose.startsWith('scoring.'));

export interface ScoringCollaboration extends PsiCollaboration {
  readonly brand: PsiParty;
}

export async function loadScoringCollaboration(trx: TenantTransaction, selfNodeId: string, id: string, target: ModelTarget, options: { allowClosed?: boolean } = {}): Promise<ScoringCollaboration> {
  const collaboration = await loadPsiCollaboration(trx, selfNodeId, id, new Date(), options);
  if (!purposeFits(collaboration.purpose, target)) {
    throw new ScoringError('ACCORD_ERR_SCORING_NOT_ALLOWED', `collaboration ${id} is for ${collaboration.purpose}; ${target} models need a ${target === 'lookalike' ? LOOKALIKE_PURPOSE : 'scoring.*'} purpose`);
  }
  const brand = collaboration.parties.find((party) => party.role === 'brand')!;
  return { ...collaboration, brand };
}

/** The other party of a model: the provider for the brand, the brand for a provider. */
export async function modelPeer(trx: TenantTransaction, collaboration: ScoringCollaboration, peerNodeId: string): Promise<PsiParty & { baseUrl: string }> {
  const peer = await peerAddressOf(trx, collaboration, peerNodeId);
  const roles = new Set([collaboration.self.role, peer.role]);
  if (!roles.has('brand') || !roles.has('provider')) throw new ScoringError('ACCORD_ERR_SCORING_NOT_ALLOWED', 'a model runs between the brand and a provider of the collaboration');
  return peer;
}

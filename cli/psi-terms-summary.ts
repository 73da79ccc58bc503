/** The terms a party is asked to approve, as lines for a person to read before signing. */
import type { FetchedCollaboration } from './psi-collaboration.ts';

const yesNo = (value: boolean) => (value ? 'yes' : 'no');

export function termsSummary(fetched: FetchedCollaboration): string[] {
  const { document, effective, status, self } = fetched;
  const { terms } = document;
  const approved = new Set(document.approvals.map((approval) => approval.nodeId));
  return [
    `collaboration ${terms.id}: ${terms.name} (${status})`,
    `terms hash    ${Buffer.from(fetched.termsHash).toString('hex')}`,
    ...terms.parties.map((party) => `party         ${party.role} ${party.nodeId} key ${party.publicKey}${party.nodeId === self.nodeId ? ' (this key file)' : ''}${approved.has(party.nodeId) ? ', approved' : ''}`),
    `purpose       ${terms.purpose} for ${terms.recipients.join(', ') || 'no named recipient'}`,
    `matches on    ${effective.idTypes.join(', ')} (suite ${effective.suite})`,
    `outputs       overlap count; matched members to the brand: ${yesNo(effective.outputs.matchedToBrand)}; to the partner: ${yesNo(effective.outputs.matchedToPartner)}`,
    `guard         min overlap ${effective.minOverlap}, min cell ${effective.minCellSize}, ${effective.noise ? `noise ε ${effective.noise.epsilonPerRun}/run of ${effective.noise.totalEpsilon}` : 'exact counts (every party opted in)'}, ${effective.maxRunsPerDay} runs a day, ${effective.runBudget} in all`,
    `inputs        at least ${effective.minInputSize} per identifier type, up to ${effective.maxSetSize}, arriving within ${effective.declaredSizeTolerance * 100}% below what was declared`,
    ...(terms.exactCounts ? ['exact counts  offered by the terms, for when every party approves with the constraint {"exactCounts": true}; one that does not keeps the noise'] : []),
    `expires       ${effective.expiresAt}`,
  ];
}

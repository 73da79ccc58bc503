/**
 * Proposing a collaboration: the tenant names the parties (this node and registered peers, whose
 * pinned keys go into the terms), the purpose and recipients its consent ledger covers, the outputs
 * and the guard settings. The terms are fixed from here on; parties approve or revoke them.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { recordAuditEvent } from '../audit/audit-log.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { NodeIdentity } from '../identity/node-identity.ts';
import { checkConsentScope } from './check-consent-scope.ts';
import { checkParties } from './check-parties.ts';
import { CollaborationError } from './collaboration-errors.ts';
import { insertCollaboration, loadCollaboration, type Collaboration } from './collaboration-store.ts';
import { collaborationTermsSchema, defaultMinInputSize, idType, noise, partyRoles, psiSuites, tagEnrichment, TERM_DEFAULTS, termsHash, type CollaborationTerms } from './collaboration-terms.ts';

export const collaborationProposalSchema = z
  .object({
    name: z.string().min(1).max(200),
    parties: z.array(z.object({ nodeId: z.uuid(), role: z.enum(partyRoles) }).strict()).min(2).max(8),
    purpose: z.string().min(1).max(200),
    recipients: z.array(z.string().min(1).max(200)).max(50).default([]),
    outputs: z
      .object({ matchedToBrand: z.boolean().default(false), matchedToPartner: z.boolean().default(false), tagEnrichment: tagEnrichment.nullable().default(null) })
      .strict()
      .default({ matchedToBrand: false, matchedToPartner: false, tagEnrichment: null }),
    idTypes: z.array(idType).min(1).max(6),
    suite: z.enum(psiSuites).default(TERM_DEFAULTS.suite),
    minOverlap: z.number().int().min(1).max(1_000_000_000).default(TERM_DEFAULTS.minOverlap),
    minCellSize: z.number().int().min(1).max(1_000_000_000).default(TERM_DEFAULTS.minCellSize),
    /** Left out: the default noise, unless exactCounts asks for none. */
    noise: noise.nullable().optional(),
    exactCounts: z.literal(true).optional(),
    minInputSize: z.number().int().min(1).max(1_000_000_000).optional(),
    declaredSizeTolerance: z.number().min(0).max(0.5).default(TERM_DEFAULTS.declaredSizeTolerance),
    runBudget: z.number().int().min(1).max(1_000_000).default(TERM_DEFAULTS.runBudget),
    maxRunsPerDay: z.number().int().min(1).max(10_000).default(TERM_DEFAULTS.maxRunsPerDay),
    maxSetSize: z.number().int().min(1).max(1_000_000_000).default(TERM_DEFAULTS.maxSetSize),
    expiresAt: z.iso.datetime({ offset: true }),
  })
  .strict();

export type CollaborationProposal = z.output<typeof collaborationProposalSchema>;

async function partyKeys(trx: TenantTransaction, proposal: CollaborationProposal, identity: NodeIdentity): Promise<Map<string, Uint8Array>> {
  const peers = await trx.selectFrom('peers').select(['node_id', 'public_key']).where('node_id', 'in', proposal.parties.map((p) => p.nodeId)).execute();
  const keys = new Map<string, Uint8Array>(peers.map((peer) => [peer.node_id, new Uint8Array(peer.public_key)]));
  keys.set(identity.nodeId, identity.publicKey);
  const unknown = proposal.parties.filter((party) => !keys.has(party.nodeId));
  if (unknown.length > 0) throw new CollaborationError('ACCORD_ERR_COLLABORATION_TERMS', `party nodes ${unknown.map((p) => p.nodeId).join(', ')} are not registered peers of this tenant; register them (POST /v1/peers) first`);
  return keys;
}

export function parseTerms(candidate: unknown): CollaborationTerms {
  const parsed = collaborationTermsSchema.safeParse(candidate);
  if (!parsed.success) {
    throw new CollaborationError('ACCORD_ERR_COLLABORATION_TERMS', parsed.error.issues.map((issue) => `${issue.path.join('.') || 'terms'}: ${issue.message}`).join('; '));
  }
  return parsed.data;
}

export async function createCollaboration(trx: TenantTransaction, identity: NodeIdentity, proposal: CollaborationProposal, actor: string, now = new Date()): Promise<Collaboration> {
  const keys = await partyKeys(trx, proposal, identity);
  const { exactCounts, ...proposed } = proposal;
  const terms = parseTerms({
    ...proposed,
    // Only an explicit opt-in is written: the terms hash what they say, and silence means noise.
    ...(exactCounts ? { exactCounts } : {}),
    id: randomUUID(),
    parties: proposal.parties.map((party) => ({ ...party, publicKey: Buffer.from(keys.get(party.nodeId)!).toString('base64') })),
    outputs: { overlapCount: true, ...proposal.outputs },
    noise: proposal.noise !== undefined ? proposal.noise : exactCounts ? null : TERM_DEFAULTS.noise,
    minInputSize: proposal.minInputSize ?? defaultMinInputSize(proposal.minOverlap),
    expiresAt: new Date(proposal.expiresAt).toISOString(),
  });
  if (Date.parse(terms.expiresAt) <= now.getTime()) throw new CollaborationError('ACCORD_ERR_COLLABORATION_TERMS', 'expiresAt must be in the future');
  await checkParties(trx, terms, identity);
  await checkConsentScope(trx, terms.purpose, terms.recipients);
  await insertCollaboration(trx, { terms, termsHash: termsHash(terms), originNodeId: identity.nodeId, createdBy: actor });
  await recordAuditEvent(trx, { actor, action: 'collaboration.created', targetType: 'collaboration', targetId: terms.id, details: { name: terms.name, purpose: terms.purpose, parties: terms.parties.map((p) => ({ nodeId: p.nodeId, role: p.role })) } });
  return (await loadCollaboration(trx, terms.id, now))!;
}

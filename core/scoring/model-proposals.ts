/**
 * Agreeing a model spec between the two nodes. The brand proposes (its signed approval goes with
 * the spec to the provider); the provider checks it offers the tags named and approves with its own
 * constraints, which go back signed; each side verifies the other's signature under the key the
 * collaboration pins. The effective spec is the strictest of the spec and both constraints.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { recordAuditEvent } from '../audit/audit-log.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { callPeer } from '../peers/peer-client.ts';
import { findTag } from '../tags/tag-definitions.ts';
import { effectiveSpec, modelConstraintsSchema, modelSpecDocumentSchema, modelTargets, parseModelSpec, signApproval, verifyModelApproval, type ModelApproval, type ModelConstraints, type ModelSpecDocument } from './model-agreement.ts';
import { insertModel, requireModel, sealSecrets, updateModel, type ModelRecord } from './model-store.ts';
import { loadScoringCollaboration, modelPeer } from './scoring-collaboration.ts';
import { asScoringError, ScoringError } from './scoring-errors.ts';
import type { ScoringNode } from './scoring-node.ts';
import { heSpecOf } from './training-data.ts';

export const modelProposalSchema = z
  .object({
    collaborationId: z.uuid(),
    /** The provider; may be left out when the collaboration has one other party. */
    providerNodeId: z.uuid().optional(),
    name: z.string().min(1).max(200),
    target: z.enum(modelTargets),
    psiRunId: z.uuid(),
    labelTag: z.string(),
    brandTags: z.array(z.string()).max(100).default([]),
    providerTags: z.array(z.string()).min(1).max(1000),
    heParams: z.enum(['ckks-8192', 'bfv-8192']).default('ckks-8192'),
    batchRows: z.number().int().min(1).max(10_000_000).optional(),
    epochs: z.number().int().min(1).max(100).default(5),
    labelDpSigma: z.number().min(0).max(1000).default(4),
    learningRate: z.number().positive().max(1000).default(1),
    l2: z.number().min(0).max(100).default(1e-3),
  })
  .strict();

export type ModelProposal = z.output<typeof modelProposalSchema>;

/** The spec as both parties' approvals leave it. */
export const effectiveSpecOf = (model: ModelRecord): ModelSpecDocument => effectiveSpec(model.spec, model.approvals);

/** The checks a spec can pass before any row is known: batch size against features and policy, noise under CKKS. */
function checkSpecShape(node: ScoringNode, spec: ModelSpecDocument): void {
  const parameters = spec.providerTags.length + spec.brandTags.length + 1;
  heSpecOf(spec, Math.max(spec.batchRows, parameters), node.policy);
}

export async function proposeModel(node: ScoringNode, trx: TenantTransaction, proposal: ModelProposal, actor: string): Promise<ModelRecord> {
  const collaboration = await loadScoringCollaboration(trx, node.identity.nodeId, proposal.collaborationId, proposal.target);
  if (collaboration.self.role !== 'brand') throw new ScoringError('ACCORD_ERR_SCORING_NOT_ALLOWED', 'only the brand of the collaboration proposes models');
  const providerNodeId = proposal.providerNodeId ?? collaboration.parties.find((party) => party.role === 'provider')?.nodeId;
  if (!providerNodeId) throw new ScoringError('ACCORD_ERR_SCORING_NOT_ALLOWED', 'the collaboration has no provider');
  const provider = await modelPeer(trx, collaboration, providerNodeId);
  const { providerNodeId: _provider, ...fields } = proposal;
  const spec = parseModelSpec({ ...fields, id: randomUUID(), batchRows: proposal.batchRows ?? node.policy.minBatchRows });
  checkSpecShape(node, spec);
  for (const tag of [spec.labelTag, ...spec.brandTags]) if (!(await findTag(trx, tag))) throw new ScoringError('ACCORD_ERR_SCORING_SPEC_INVALID', `this node has no tag ${tag}`);
  const approval = signApproval(spec, node.identity.nodeId, {}, node.identity.sign);
  // The provider stores the proposal first: a spec it refuses never exists here.
  await callPeer(node.identity, provider, 'POST', '/v1/node/models', { spec, approval }).catch((error: unknown) => {
    throw asScoringError(error);
  });
  await insertModel(trx, { spec, role: 'brand', peerNodeId: provider.nodeId, approvals: [approval], status: 'proposed', actor });
  await recordAuditEvent(trx, { actor, action: 'model.proposed', targetType: 'model', targetId: spec.id, details: { collaborationId: spec.collaborationId, target: spec.target } });
  return requireModel(trx, spec.id);
}

export const proposalBody = z.object({ spec: modelSpecDocumentSchema, approval: z.object({ nodeId: z.uuid(), constraints: modelConstraintsSchema, signature: z.string().max(200) }).strict() }).strict();

/** The provider receives a proposal from the brand of the collaboration. */
export async function receiveProposal(node: ScoringNode, trx: TenantTransaction, sender: { nodeId: string; publicKey: Uint8Array }, body: z.output<typeof proposalBody>): Promise<void> {
  const spec = parseModelSpec(body.spec);
  const collaboration = await loadScoringCollaboration(trx, node.identity.nodeId, spec.collaborationId, spec.target);
  if (collaboration.self.role !== 'provider') throw new ScoringError('ACCORD_ERR_SCORING_NOT_ALLOWED', 'this node is not a provider of the collaboration');
  if (sender.nodeId !== collaboration.brand.nodeId || Buffer.compare(Buffer.from(sender.publicKey), Buffer.from(collaboration.brand.publicKey)) !== 0) {
    throw new ScoringError('ACCORD_ERR_SCORING_NOT_ALLOWED', 'only the brand of the collaboration proposes models');
  }
  if (body.approval.nodeId !== sender.nodeId) throw new ScoringError('ACCORD_ERR_SCORING_SIGNATURE', 'the approval is not the sender’s');
  verifyModelApproval(spec, body.approval, collaboration.brand.publicKey);
  checkSpecShape(node, spec);
  const missing: string[] = [];
  for (const tag of spec.providerTags) if (!(await findTag(trx, tag))) missing.push(tag);
  if (missing.length > 0) throw new ScoringError('ACCORD_ERR_SCORING_SPEC_INVALID', `this provider offers no tag ${missing.join(', ')}`);
  const existing = await trx.selectFrom('scoring_models').select('id').where('id', '=', spec.id).executeTakeFirst();
  if (existing) return;
  await insertModel(trx, { spec, role: 'provider', peerNodeId: sender.nodeId, approvals: [body.approval], status: 'proposed', actor: `node:${sender.nodeId}` });
}

/**
 * The provider approves with its constraints: stores its signed approval and its mask seed (sealed),
 * and returns the approval to send to the brand. Approving again returns the stored approval, so a
 * delivery that failed can be repeated.
 */
export async function approveModel(node: ScoringNode, trx: TenantTransaction, id: string, constraints: ModelConstraints, actor: string): Promise<{ model: ModelRecord; approval: ModelApproval }> {
  const model = await requireModel(trx, id, { forUpdate: true });
  if (model.role !== 'provider') throw new ScoringError('ACCORD_ERR_SCORING_NOT_ALLOWED', 'the brand approved its spec when it proposed it; the provider approves here');
  const mine = model.approvals.find((a) => a.nodeId === node.identity.nodeId);
  if (mine) return { model, approval: mine };
  if (model.status !== 'proposed') throw new ScoringError('ACCORD_ERR_SCORING_MODEL_STATE', `model ${id} is ${model.status}`);
  const approval = signApproval(model.spec, node.identity.nodeId, constraints, node.identity.sign);
  const approvals = [...model.approvals, approval];
  checkSpecShape(node, effectiveSpec(model.spec, approvals));
  await updateModel(trx, id, { approvals, status: 'approved', secretsSealed: sealSecrets(node.masterKey, trx.tenantId, id, 'provider', { seed: randomBytes(32) }) });
  await recordAuditEvent(trx, { actor, action: 'model.approved', targetType: 'model', targetId: id, details: { constraints } });
  return { model: await requireModel(trx, id), approval };
}

export const approvalBody = z.object({ approval: proposalBody.shape.approval }).strict();

/** The brand receives the provider's approval. */
export async function receiveApproval(node: ScoringNode, trx: TenantTransaction, sender: { nodeId: string; publicKey: Uint8Array }, id: string, approval: ModelApproval): Promise<void> {
  const model = await requireModel(trx, id, { forUpdate: true });
  if (model.role !== 'brand' || sender.nodeId !== model.peerNodeId || approval.nodeId !== sender.nodeId) throw new ScoringError('ACCORD_ERR_SCORING_MODEL_UNKNOWN', `no model ${id} with this node`);
  const collaboration = await loadScoringCollaboration(trx, node.identity.nodeId, model.collaborationId, model.spec.target);
  const party = collaboration.parties.find((p) => p.nodeId === sender.nodeId)!;
  verifyModelApproval(model.spec, approval, party.publicKey);
  if (model.approvals.some((a) => a.nodeId === approval.nodeId)) return;
  const approvals = [...model.approvals, approval];
  checkSpecShape(node, effectiveSpec(model.spec, approvals));
  await updateModel(trx, id, { approvals, status: 'approved' });
}

/** Sends this node's approval to the brand (after the approving transaction committed). */
export async function deliverApproval(node: ScoringNode, trx: TenantTransaction, model: ModelRecord, approval: ModelApproval): Promise<void> {
  const collaboration = await loadScoringCollaboration(trx, node.identity.nodeId, model.collaborationId, model.spec.target);
  const brand = await modelPeer(trx, collaboration, model.peerNodeId);
  await callPeer(node.identity, brand, 'POST', `/v1/node/models/${model.id}/approval`, { approval });
}

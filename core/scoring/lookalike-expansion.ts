/**
 * Lookalike expansion of a trained lookalike model (provider tags only). The brand names sizes and
 * sends which of the held-out validation rows are seed members (so the provider can measure recall;
 * the provider learns the seed membership of those held-out rows, as a lookalike service does). The
 * provider scores its population in plaintext (every person its gate allows for the collaboration's
 * purpose and recipients, the training rows left out), materialises the top audience on its side,
 * and returns aggregates only: population, holdout size, recall and lift per size (and of the top
 * 20%), and a score histogram with no bucket under the minimum. No per-person result leaves it.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { recordProcessing } from '../audit/processing-records.ts';
import { consentedPersons } from '../consent/consented-persons.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { callPeer } from '../peers/peer-client.ts';
import { lookalikeReport, lookalikeScores, topK, type LookalikeReport } from './lookalike.ts';
import { effectiveSpecOf } from './model-proposals.ts';
import { requireModel } from './model-store.ts';
import { loadScoringCollaboration, modelPeer } from './scoring-collaboration.ts';
import { asScoringError, ScoringError } from './scoring-errors.ts';
import type { ScoringNode } from './scoring-node.ts';
import type { InTenant } from './start-training.ts';
import { featureColumns, tagColumns } from './tag-columns.ts';
import { partyColumns, rowsOf, trainingSplit } from './training-data.ts';
import { transformFromJson, type ProviderModelJson } from './training-turns.ts';

export const lookalikeRequestSchema = z
  .object({
    modelId: z.uuid(),
    sizes: z.array(z.number().int().min(1).max(1_000_000_000)).min(1).max(25),
  })
  .strict();

export const lookalikeNodeBody = z.object({ id: z.uuid(), sizes: lookalikeRequestSchema.shape.sizes, holdout: z.array(z.number().int().min(0)).max(10_000_000) }).strict();

export interface LookalikeView {
  readonly id: string;
  readonly modelId: string;
  readonly report: LookalikeReport & { readonly recallTop20: number | null };
  readonly createdAt: string;
}

const PAGE = 10_000;

export async function expandLookalike(node: ScoringNode, inTenant: InTenant, request: z.output<typeof lookalikeRequestSchema>, actor: string): Promise<LookalikeView> {
  const id = randomUUID();
  const prepared = await inTenant(async (trx) => {
    const model = await requireModel(trx, request.modelId);
    if (model.role !== 'brand' || model.spec.target !== 'lookalike') throw new ScoringError('ACCORD_ERR_SCORING_NOT_ALLOWED', `model ${model.id} is not this brand's lookalike model`);
    if (model.status !== 'trained') throw new ScoringError('ACCORD_ERR_SCORING_MODEL_STATE', `model ${model.id} is ${model.status}`);
    const collaboration = await loadScoringCollaboration(trx, node.identity.nodeId, model.collaborationId, 'lookalike');
    const provider = await modelPeer(trx, collaboration, model.peerNodeId);
    const split = trainingSplit(model.rowPersons!.length, node.policy);
    const validation = rowsOf(await partyColumns(trx, effectiveSpecOf(model), 'brand', model.rowPersons!), split.train, model.rowPersons!.length);
    const holdout = [...validation.labels.keys()].filter((i) => validation.labels[i] === 1);
    return { model, collaboration, provider, holdout };
  });
  let report: LookalikeView['report'];
  try {
    report = (await callPeer(node.identity, prepared.provider, 'POST', `/v1/node/models/${request.modelId}/lookalikes`, { id, sizes: request.sizes, holdout: prepared.holdout }, { timeoutMs: 300_000 })) as LookalikeView['report'];
  } catch (error) {
    throw asScoringError(error);
  }
  return inTenant(async (trx) => {
    await trx.insertInto('scoring_lookalikes').values({ tenant_id: trx.tenantId, id, model_id: request.modelId, sizes: JSON.stringify(request.sizes), report: JSON.stringify(report), created_by: actor }).execute();
    const now = new Date();
    await recordProcessing(trx, { activity: 'scoring.lookalike.report', purpose: prepared.collaboration.purpose, collaboration_id: prepared.collaboration.id, actor, subjects_in: prepared.holdout.length, subjects_out: 0, started_at: now, finished_at: now, details: { modelId: request.modelId, lookalikeId: id, sizes: request.sizes } });
    return { id, modelId: request.modelId, report, createdAt: now.toISOString() };
  });
}

/** The provider's side: scores, materialises the largest audience asked for, and answers with aggregates. */
export async function materialiseLookalike(node: ScoringNode, trx: TenantTransaction, sender: { nodeId: string }, modelId: string, body: z.output<typeof lookalikeNodeBody>): Promise<LookalikeView['report']> {
  const model = await requireModel(trx, modelId);
  if (model.role !== 'provider' || model.peerNodeId !== sender.nodeId) throw new ScoringError('ACCORD_ERR_SCORING_MODEL_UNKNOWN', `no model ${modelId} with this node`);
  if (model.spec.target !== 'lookalike') throw new ScoringError('ACCORD_ERR_SCORING_NOT_ALLOWED', `model ${modelId} is not a lookalike model`);
  if (model.status !== 'trained') throw new ScoringError('ACCORD_ERR_SCORING_MODEL_STATE', `model ${modelId} is ${model.status}`);
  const spec = effectiveSpecOf(model);
  const collaboration = await loadScoringCollaboration(trx, node.identity.nodeId, model.collaborationId, 'lookalike');
  const split = trainingSplit(model.rowPersons!.length, node.policy);
  const validationPersons = model.rowPersons!.slice(split.train);
  if (body.holdout.some((i) => i >= validationPersons.length) || new Set(body.holdout).size !== body.holdout.length) throw new ScoringError('ACCORD_ERR_SCORING_DATA_MISMATCH', 'holdout rows must be distinct validation rows');
  // Recall over a handful of people would say where each of them ranks.
  if (body.holdout.length < node.policy.minHistogramBucket) throw new ScoringError('ACCORD_ERR_SCORING_RELEASE_TOO_SMALL', `${body.holdout.length} held-out seed members; at least ${node.policy.minHistogramBucket} for recall to be an aggregate`);
  const training = new Set(model.rowPersons!.slice(0, split.train));
  const candidates: number[] = [];
  for (let after = 0; ; ) {
    const rows = await trx.selectFrom('persons').select('id').where('merged_into', 'is', null).where('id', '>', after).orderBy('id').limit(PAGE).execute();
    candidates.push(...rows.map((row) => Number(row.id)).filter((id) => !training.has(id)));
    if (rows.length < PAGE) break;
    after = Number(rows.at(-1)!.id);
  }
  const allowed = await consentedPersons(trx, node.gate, candidates, { purpose: collaboration.purpose, recipients: collaboration.recipients, regime: collaboration.regime, activity: 'scoring.lookalike.population', actor: `node:${sender.nodeId}`, collaborationId: collaboration.id, details: { modelId } });
  const population = candidates.filter((id) => allowed.has(id));
  const tooLarge = body.sizes.filter((size) => size > population.length);
  if (tooLarge.length > 0) throw new ScoringError('ACCORD_ERR_SCORING_DATA_MISMATCH', `sizes ${tooLarge.join(', ')} exceed the ${population.length} people this provider may score`);
  const json = model.model as ProviderModelJson;
  const scores = lookalikeScores({ modelId, transform: transformFromJson(json.transform), weights: Float64Array.from(json.weights) }, featureColumns(await tagColumns(trx, spec.providerTags, population)));
  const holdoutPersons = new Set(body.holdout.map((i) => validationPersons[i]!));
  const flags = Uint8Array.from(population, (person) => (holdoutPersons.has(person) ? 1 : 0));
  const report = lookalikeReport(scores, flags, body.sizes, node.policy);
  const top20 = Math.round(population.length / 5);
  const recallTop20 = top20 >= node.policy.minLookalikeSegment ? lookalikeReport(scores, flags, [top20], node.policy).sizes[0]!.recall : null;
  const audience = topK(scores, Math.max(...body.sizes), node.policy);
  await trx.insertInto('scoring_lookalikes').values({ tenant_id: trx.tenantId, id: body.id, model_id: modelId, sizes: JSON.stringify(body.sizes), report: JSON.stringify({ ...report, recallTop20 }), created_by: `node:${sender.nodeId}` }).execute();
  const members = Array.from(audience, (row, rank) => ({ tenant_id: trx.tenantId, lookalike_id: body.id, rank: rank + 1, person_id: population[row]! }));
  for (let i = 0; i < members.length; i += 5_000) await trx.insertInto('scoring_lookalike_members').values(members.slice(i, i + 5_000)).execute();
  const now = new Date();
  await recordProcessing(trx, { activity: 'scoring.lookalike.audience', purpose: collaboration.purpose, collaboration_id: collaboration.id, actor: `node:${sender.nodeId}`, subjects_in: population.length, subjects_out: members.length, started_at: now, finished_at: now, details: { modelId, lookalikeId: body.id, sizes: body.sizes } });
  return { ...report, recallTop20 };
}

export async function findLookalike(trx: TenantTransaction, id: string): Promise<LookalikeView | undefined> {
  const row = await trx.selectFrom('scoring_lookalikes').select(['id', 'model_id', 'report', 'created_at']).where('id', '=', id).executeTakeFirst();
  return row && { id: row.id, modelId: row.model_id, report: row.report as LookalikeView['report'], createdAt: row.created_at.toISOString() };
}

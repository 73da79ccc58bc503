/**
 * Lead scores: the brand asks for at least `minScoringBatch` of its leads (a segment, through its
 * gate), sending their row keys; the provider finds the leads it holds, passes them through its own
 * gate and its per-person release cap (one release per person and model), counts what is left
 * against the minimum itself, and releases coarsened partial scores only through its audit
 * (partial-scores.ts). The brand adds its own part and stores speed (Platt-calibrated probability)
 * and revenue (percentile within its lead base) as 0..1 values of brand-side tags usable in segments.
 * Both nodes write processing records.
 */
import { z } from 'zod';
import { recordProcessing } from '../audit/processing-records.ts';
import { consentedPersons } from '../consent/consented-persons.ts';
import { anyOf } from '../db/sql-any.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { callPeer } from '../peers/peer-client.ts';
import { segmentMembersFor } from '../segments/segment-members-for.ts';
import { defineTag, findTag } from '../tags/tag-definitions.ts';
import { writeTagValues } from '../tags/tag-value-store.ts';
import { tagKey } from '../collaborations/collaboration-terms.ts';
import { brandPartialScores, revenueScores, speedScores } from './lead-scores.ts';
import { effectiveSpecOf } from './model-proposals.ts';
import { requireModel, type ModelRecord } from './model-store.ts';
import { releasePartialScores } from './partial-scores.ts';
import { personsOfRowKeys, rowKeysOf } from './row-alignment.ts';
import { loadScoringCollaboration, modelPeer } from './scoring-collaboration.ts';
import { asScoringError, ScoringError } from './scoring-errors.ts';
import type { ScoringNode } from './scoring-node.ts';
import type { InTenant } from './start-training.ts';
import { featureColumns, tagColumns } from './tag-columns.ts';
import { brandModelOf, transformFromJson, type BrandModelJson, type ProviderModelJson } from './training-turns.ts';

/** Reference §6.3: each person's score is released once per model version. */
export const RELEASES_PER_PERSON = 1;

export const leadScoreRequestSchema = z
  .object({
    speedModelId: z.uuid(),
    revenueModelId: z.uuid().optional(),
    /** The brand's leads: a segment, whose members go through the gate for the collaboration's purpose. */
    segmentId: z.number().int().positive(),
    speedTag: tagKey.default('lead_speed'),
    revenueTag: tagKey.default('lead_revenue'),
  })
  .strict();

export type LeadScoreRequest = z.output<typeof leadScoreRequestSchema>;

export const partialScoresBody = z.object({ rows: z.array(z.array(z.string().regex(/^[0-9a-f]{32}$/)).max(8)).max(1_000_000) }).strict();

export interface LeadScoreResult {
  readonly requested: number;
  readonly scored: number;
  readonly tags: { readonly speed: string; readonly revenue: string | null };
}

function trainedBrandModel(model: ModelRecord, target: 'speed' | 'revenue'): BrandModelJson {
  if (model.role !== 'brand' || model.spec.target !== target) throw new ScoringError('ACCORD_ERR_SCORING_NOT_ALLOWED', `model ${model.id} is not this brand's ${target} model`);
  if (model.status !== 'trained') throw new ScoringError('ACCORD_ERR_SCORING_MODEL_STATE', `model ${model.id} is ${model.status}`);
  return model.model as BrandModelJson;
}

async function ensureScoreTag(trx: TenantTransaction, key: string, description: string, actor: string): Promise<void> {
  const tag = await findTag(trx, key);
  if (!tag) await defineTag(trx, { key, kind: 'static', valueType: 'number', multiValued: false, description, owner: 'scoring' }, actor);
  else if (tag.kind !== 'static' || tag.value_type !== 'number') throw new ScoringError('ACCORD_ERR_SCORING_SPEC_INVALID', `tag ${key} exists and is not a static number tag`);
}

export async function scoreLeads(node: ScoringNode, inTenant: InTenant, request: LeadScoreRequest, actor: string): Promise<LeadScoreResult> {
  const prepared = await inTenant(async (trx) => {
    const speed = await requireModel(trx, request.speedModelId);
    const revenue = request.revenueModelId ? await requireModel(trx, request.revenueModelId) : null;
    trainedBrandModel(speed, 'speed');
    if (revenue) trainedBrandModel(revenue, 'revenue');
    const collaboration = await loadScoringCollaboration(trx, node.identity.nodeId, speed.collaborationId, 'speed');
    if (revenue && revenue.collaborationId !== speed.collaborationId) throw new ScoringError('ACCORD_ERR_SCORING_NOT_ALLOWED', 'both models must come from one collaboration');
    const members = await segmentMembersFor(trx, node.gate, request.segmentId, { purpose: collaboration.purpose, recipient: collaboration.recipients[0], regime: collaboration.regime, activity: 'scoring.lead-scores', actor });
    const leads = members.ids();
    if (leads.length < node.policy.minScoringBatch) throw new ScoringError('ACCORD_ERR_SCORING_RELEASE_TOO_SMALL', `${leads.length} leads; at least ${node.policy.minScoringBatch} per request`);
    const rowsFor = (model: ModelRecord) => rowKeysOf(trx, node.identifierKeys, model.id, leads.map((personId) => ({ personId, idTypes: collaboration.idTypes })));
    const provider = await modelPeer(trx, collaboration, speed.peerNodeId);
    return { speed, revenue, leads, collaboration, provider, speedRows: await rowsFor(speed), revenueRows: revenue ? await rowsFor(revenue) : null };
  });
  const partialsOf = async (model: ModelRecord, rows: string[][]) => {
    try {
      const answer = (await callPeer(node.identity, prepared.provider, 'POST', `/v1/node/models/${model.id}/partial-scores`, { rows }, { timeoutMs: 120_000 })) as { partials: (number | null)[] };
      return z.array(z.number().finite().nullable()).length(rows.length).parse(answer.partials);
    } catch (error) {
      throw asScoringError(error);
    }
  };
  const speedPartials = await partialsOf(prepared.speed, prepared.speedRows);
  const revenuePartials = prepared.revenue ? await partialsOf(prepared.revenue, prepared.revenueRows!) : null;

  return inTenant(async (trx) => {
    const scored = prepared.leads.map((_, i) => i).filter((i) => speedPartials[i] !== null && (!revenuePartials || revenuePartials[i] !== null));
    const persons = scored.map((i) => prepared.leads[i]!);
    const brandPart = async (model: ModelRecord, json: BrandModelJson) => brandPartialScores(brandModelOf(model.id, json), featureColumns(await tagColumns(trx, effectiveSpecOf(model).brandTags, persons)), persons.length);
    const speedJson = prepared.speed.model as BrandModelJson;
    const speed = speedScores(await brandPart(prepared.speed, speedJson), Float64Array.from(scored, (i) => speedPartials[i]!), speedJson.platt!);
    await ensureScoreTag(trx, request.speedTag, `Lead speed score 0..1 (model ${prepared.speed.id})`, actor);
    await writeTagValues(trx, request.speedTag, new Map(persons.map((person, k) => [person, speed[k]!])), [], `scoring:${prepared.speed.id}`);
    if (prepared.revenue) {
      const revenueJson = prepared.revenue.model as BrandModelJson;
      const revenue = revenueScores(await brandPart(prepared.revenue, revenueJson), Float64Array.from(scored, (i) => revenuePartials![i]!), Float64Array.from(revenueJson.leadBase!));
      await ensureScoreTag(trx, request.revenueTag, `Lead revenue score 0..1, percentile in the lead base (model ${prepared.revenue.id})`, actor);
      await writeTagValues(trx, request.revenueTag, new Map(persons.map((person, k) => [person, revenue[k]!])), [], `scoring:${prepared.revenue.id}`);
    }
    const now = new Date();
    await recordProcessing(trx, { activity: 'scoring.lead-scores.stored', purpose: prepared.collaboration.purpose, collaboration_id: prepared.collaboration.id, actor, subjects_in: prepared.leads.length, subjects_out: persons.length, started_at: now, finished_at: now, details: { speedModelId: prepared.speed.id, revenueModelId: prepared.revenue?.id ?? null } });
    return { requested: prepared.leads.length, scored: persons.length, tags: { speed: request.speedTag, revenue: prepared.revenue ? request.revenueTag : null } };
  });
}

/** The provider's release of partial scores for the brand's leads. */
export async function releaseLeadPartials(node: ScoringNode, trx: TenantTransaction, sender: { nodeId: string }, id: string, body: z.output<typeof partialScoresBody>): Promise<{ partials: (number | null)[] }> {
  const model = await requireModel(trx, id, { forUpdate: true });
  if (model.role !== 'provider' || model.peerNodeId !== sender.nodeId) throw new ScoringError('ACCORD_ERR_SCORING_MODEL_UNKNOWN', `no model ${id} with this node`);
  if (model.status !== 'trained') throw new ScoringError('ACCORD_ERR_SCORING_MODEL_STATE', `model ${id} is ${model.status}`);
  if (model.spec.target === 'lookalike') throw new ScoringError('ACCORD_ERR_SCORING_NOT_ALLOWED', 'a lookalike model releases aggregates only, never per-person scores');
  const spec = effectiveSpecOf(model);
  const collaboration = await loadScoringCollaboration(trx, node.identity.nodeId, model.collaborationId, spec.target);
  const persons = await personsOfRowKeys(trx, node.identifierKeys, id, body.rows, collaboration.idTypes);
  const found = [...new Set(persons.filter((p): p is number => p !== null))];
  const allowed = await consentedPersons(trx, node.gate, found, { purpose: collaboration.purpose, recipients: collaboration.recipients, regime: collaboration.regime, activity: 'scoring.lead-scores', actor: `node:${sender.nodeId}`, collaborationId: collaboration.id, details: { modelId: id } });
  const capped = new Set(
    found.length === 0
      ? []
      : (await trx.selectFrom('scoring_releases').select('person_id').where('model_id', '=', id).where('person_id', '=', anyOf(found, 'bigint')).where('releases', '>=', RELEASES_PER_PERSON).execute()).map((row) => Number(row.person_id)),
  );
  const seen = new Set<number>();
  const releasable = persons.map((person) => {
    if (person === null || seen.has(person) || !allowed.has(person) || capped.has(person)) return null;
    seen.add(person);
    return person;
  });
  const released = releasable.filter((p): p is number => p !== null);
  if (released.length === 0 && capped.size > 0) throw new ScoringError('ACCORD_ERR_SCORING_RELEASE_CAP', `every lead asked for was scored by model ${id} before`);
  const json = model.model as ProviderModelJson;
  const providerModel = { modelId: id, transform: transformFromJson(json.transform), weights: Float64Array.from(json.weights) };
  // Counted here, on what arrived and may be released, not on what the brand says it sent; the audit runs inside.
  const scores = releasePartialScores(providerModel, featureColumns(await tagColumns(trx, spec.providerTags, released)), node.policy);
  for (let i = 0; i < released.length; i += 5_000) {
    await trx
      .insertInto('scoring_releases')
      .values(released.slice(i, i + 5_000).map((person) => ({ tenant_id: trx.tenantId, model_id: id, person_id: person, releases: 1 })))
      .onConflict((oc) => oc.columns(['tenant_id', 'model_id', 'person_id']).doUpdateSet({ releases: (eb) => eb('scoring_releases.releases', '+', 1) }))
      .execute();
  }
  const now = new Date();
  await recordProcessing(trx, { activity: 'scoring.lead-scores.released', purpose: collaboration.purpose, collaboration_id: collaboration.id, actor: `node:${sender.nodeId}`, subjects_in: body.rows.length, subjects_out: released.length, started_at: now, finished_at: now, details: { modelId: id, quantum: node.policy.partialScoreQuantum } });
  const byPerson = new Map(released.map((person, k) => [person, scores[k]!]));
  return { partials: releasable.map((person) => (person === null ? null : byPerson.get(person)!)) };
}

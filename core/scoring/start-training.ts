/**
 * Starting an approved model's training. The brand takes the matched persons of the spec's PSI run
 * that its gate allows for the collaboration's purpose and recipients (and that carry a label), sends
 * their row keys to the provider, which keeps those its own gate allows (row-alignment.ts), and both
 * store the shared rows. The brand seals a fresh HE secret key and noise seed for the model and
 * queues the first turn. Each side writes a processing record of the people entering training.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { recordProcessing } from '../audit/processing-records.ts';
import { consentedPersons } from '../consent/consented-persons.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { enqueueJob } from '../jobs/enqueue-job.ts';
import { callPeer } from '../peers/peer-client.ts';
import { matchedPersons } from '../psi/psi-matches.ts';
import { findRun } from '../psi/psi-runs.ts';
import { effectiveSpecOf } from './model-proposals.ts';
import { requireModel, sealSecrets, updateModel, type ModelRecord } from './model-store.ts';
import { personsOfRowKeys, rowKeysOf } from './row-alignment.ts';
import { loadScoringCollaboration, modelPeer, type ScoringCollaboration } from './scoring-collaboration.ts';
import { ScoringError } from './scoring-errors.ts';
import type { ScoringNode } from './scoring-node.ts';
import { heSpecOf, trainingSplit } from './training-data.ts';
import { tagColumns } from './tag-columns.ts';

export const SCORING_TURN_JOB = 'scoring.turn';

export type InTenant = <T>(work: (trx: TenantTransaction) => Promise<T>) => Promise<T>;

const gateRequest = (collaboration: ScoringCollaboration, activity: string, actor: string, details: Record<string, unknown>) => ({
  purpose: collaboration.purpose,
  recipients: collaboration.recipients,
  regime: collaboration.regime,
  activity,
  actor,
  collaborationId: collaboration.id,
  details,
  at: new Date(),
});

export const alignBody = z.object({ rows: z.array(z.array(z.string().regex(/^[0-9a-f]{32}$/)).max(8)).max(10_000_000) }).strict();

export async function startTraining(node: ScoringNode, inTenant: InTenant, id: string, actor: string): Promise<ModelRecord> {
  const prepared = await inTenant(async (trx) => {
    const model = await requireModel(trx, id);
    if (model.role !== 'brand') throw new ScoringError('ACCORD_ERR_SCORING_NOT_ALLOWED', 'the brand starts training');
    if (model.status !== 'approved') throw new ScoringError('ACCORD_ERR_SCORING_MODEL_STATE', `model ${id} is ${model.status}; training starts once both parties approved it`);
    const spec = effectiveSpecOf(model);
    const collaboration = await loadScoringCollaboration(trx, node.identity.nodeId, model.collaborationId, spec.target);
    const provider = await modelPeer(trx, collaboration, model.peerNodeId);
    const run = await findRun(trx, spec.psiRunId);
    if (!run || run.collaboration_id !== model.collaborationId || run.status !== 'finished' || run.role !== 'client') {
      throw new ScoringError('ACCORD_ERR_SCORING_MODEL_STATE', `PSI run ${spec.psiRunId} is not a finished run of this collaboration whose matches this node holds`);
    }
    const matches: { personId: number; idType: string }[] = [];
    for (let after = 0; ; ) {
      const page = await matchedPersons(trx, run.id, { after, limit: 5_000 });
      matches.push(...page.map((row) => ({ personId: Number(row.person_id), idType: row.id_type })));
      if (page.length < 5_000) break;
      after = Number(page.at(-1)!.person_id);
    }
    const allowed = await consentedPersons(trx, node.gate, matches.map((m) => m.personId), gateRequest(collaboration, 'scoring.training.rows', actor, { modelId: id, psiRunId: run.id }));
    const consented = matches.filter((m) => allowed.has(m.personId));
    const [labels] = await tagColumns(trx, [spec.labelTag], consented.map((m) => m.personId));
    // A lookalike's label is seed membership: a matched person without the seed tag is a 0, not unlabelled.
    const labelled = spec.target === 'lookalike' ? consented : consented.filter((_, i) => !Number.isNaN(labels![i]!));
    const keys = await rowKeysOf(trx, node.identifierKeys, id, labelled.map((m) => ({ personId: m.personId, idTypes: [m.idType] })));
    // Rows in the order of their first key: both parties see the same order, unrelated to person ids.
    const order = labelled.map((_, i) => i).filter((i) => keys[i]!.length > 0).sort((a, b) => (keys[a]![0]! < keys[b]![0]! ? -1 : 1));
    return { collaboration, provider, persons: order.map((i) => labelled[i]!.personId), rows: order.map((i) => keys[i]!) };
  });
  const answer = (await callPeer(node.identity, prepared.provider, 'POST', `/v1/node/models/${id}/align`, { rows: prepared.rows }, { timeoutMs: 300_000 })) as { kept: number[] };
  const kept = z.array(z.number().int().min(0).max(prepared.rows.length - 1)).parse(answer.kept);
  return inTenant(async (trx) => {
    const model = await requireModel(trx, id, { forUpdate: true });
    if (model.status !== 'approved') throw new ScoringError('ACCORD_ERR_SCORING_MODEL_STATE', `model ${id} is ${model.status}`);
    const rowPersons = kept.map((i) => prepared.persons[i]!);
    const split = trainingSplit(rowPersons.length, node.policy);
    const spec = heSpecOf(effectiveSpecOf(model), split.train, node.policy);
    const backend = await node.backend();
    const context = backend.createContext(spec.heParams);
    const key = context.generateSecretKey();
    const heKey = key.export();
    key.dispose();
    context.dispose();
    await updateModel(trx, id, {
      status: 'training',
      rowPersons,
      secretsSealed: sealSecrets(node.masterKey, trx.tenantId, id, 'brand', { seed: randomBytes(32), heKey }),
      checkpoint: { step: 0, weights: new Array(spec.brandFeatures + 1).fill(0), pendingValidation: [] },
    });
    heKey.fill(0);
    await recordProcessing(trx, { activity: 'scoring.training', purpose: prepared.collaboration.purpose, collaboration_id: model.collaborationId, actor, subjects_in: prepared.persons.length, subjects_out: rowPersons.length, started_at: new Date(), finished_at: new Date(), details: { modelId: id, trainRows: split.train, validationRows: split.validation } });
    await enqueueJob(trx, SCORING_TURN_JOB, { modelId: id });
    return requireModel(trx, id);
  });
}

/** The provider's side: its person for each row, kept where found once and allowed by its gate; answered the same on a retry. */
export async function alignRows(node: ScoringNode, trx: TenantTransaction, sender: { nodeId: string }, id: string, rows: readonly (readonly string[])[]): Promise<{ kept: number[] }> {
  const model = await requireModel(trx, id, { forUpdate: true });
  if (model.role !== 'provider' || model.peerNodeId !== sender.nodeId) throw new ScoringError('ACCORD_ERR_SCORING_MODEL_UNKNOWN', `no model ${id} with this node`);
  const digest = createHash('sha256').update(JSON.stringify(rows)).digest('hex');
  const checkpoint = model.checkpoint as { alignment?: { digest: string; kept: number[] } } | null;
  if (model.status !== 'approved') {
    if (checkpoint?.alignment?.digest === digest) return { kept: checkpoint.alignment.kept };
    throw new ScoringError('ACCORD_ERR_SCORING_MODEL_STATE', `model ${id} is ${model.status}`);
  }
  const spec = effectiveSpecOf(model);
  const collaboration = await loadScoringCollaboration(trx, node.identity.nodeId, model.collaborationId, spec.target);
  const persons = await personsOfRowKeys(trx, node.identifierKeys, id, rows, collaboration.idTypes);
  const found = persons.filter((p): p is number => p !== null);
  const allowed = await consentedPersons(trx, node.gate, found, gateRequest(collaboration, 'scoring.training.rows', `node:${sender.nodeId}`, { modelId: id }));
  const seen = new Set<number>();
  const kept: number[] = [];
  persons.forEach((person, i) => {
    if (person === null || seen.has(person) || !allowed.has(person)) return;
    seen.add(person);
    kept.push(i);
  });
  const rowPersons = kept.map((i) => persons[i]!);
  const split = trainingSplit(rowPersons.length, node.policy);
  const heSpec = heSpecOf(spec, split.train, node.policy);
  await updateModel(trx, id, { status: 'training', rowPersons, checkpoint: { step: 0, weights: new Array(heSpec.providerFeatures).fill(0), receipt: null, alignment: { digest, kept } } });
  await recordProcessing(trx, { activity: 'scoring.training', purpose: collaboration.purpose, collaboration_id: model.collaborationId, actor: `node:${sender.nodeId}`, subjects_in: rows.length, subjects_out: rowPersons.length, started_at: new Date(), finished_at: new Date(), details: { modelId: id, trainRows: split.train, validationRows: split.validation } });
  return { kept };
}

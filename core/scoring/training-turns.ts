/**
 * Training as jobs. Each party runs `scoring.turn` jobs for a model; a turn looks at the party's
 * checkpoint and inbox, does every step it can (brand: encrypt residuals, answer products, read
 * validation; provider: compute products, apply masked sums, send validation at each epoch's end),
 * then sends what it made. Every step's result is committed with its checkpoint in one transaction,
 * under the model row's lock and only if the checkpoint did not move meanwhile, and outgoing messages
 * are stored before they are sent, so a worker killed anywhere resumes from the last committed step
 * with the same messages: the provider's products and the brand's answers are deterministic (seeds
 * sealed with the model), and the brand's residuals, which are freshly encrypted, are stored once.
 * The HE work runs outside any transaction. A refused message (bad binding, malformed or foreign
 * ciphertext, a reply that does not decrypt) fails the model: nothing more is released from it.
 */
import { HeError } from '../../crypto/he/he-error.ts';
import { startBrandSession, type BrandModel, type BrandSession } from './brand-session.ts';
import { totalSteps } from './batch-layout.ts';
import type { FeatureTransform } from './feature-transform.ts';
import { UnrecoverableJobError, type JobContext, type JobProcessor } from '../jobs/job-runner.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { signedRequest } from '../peers/peer-client.ts';
import { brandPartialScores } from './lead-scores.ts';
import { auditProviderModel, type ModelAudit } from './model-audit.ts';
import { fitPlatt, logLoss, rocAuc, sigmoid, type PlattScaling } from './model-metrics.ts';
import { findMessage, markDelivered, storeOutgoing, undelivered } from './model-messages.ts';
import { effectiveSpecOf } from './model-proposals.ts';
import type { ScoringModelSpec } from './model-spec.ts';
import { openSecrets, requireModel, updateModel, type EpochProgress, type ModelRecord } from './model-store.ts';
import { releasePartialScores } from './partial-scores.ts';
import { startProviderSession, type ProviderSession } from './provider-session.ts';
import { loadScoringCollaboration, modelPeer } from './scoring-collaboration.ts';
import { ScoringError } from './scoring-errors.ts';
import type { ScoringNode } from './scoring-node.ts';
import { heSpecOf, partyColumns, rowsOf, trainingSplit, type RowsData } from './training-data.ts';

interface BrandCheckpoint {
  readonly step: number;
  readonly weights: number[];
  /** Epoch ends answered whose validation has not arrived: the brand's weights after that step. */
  readonly pendingValidation: { step: number; weights: number[] }[];
}

interface ProviderCheckpoint {
  readonly step: number;
  readonly weights: number[];
  readonly receipt: { step: number; inputDigest: string; digest: string; maskSums: number[] } | null;
  readonly alignment: unknown;
}

/** What the provider sends at each epoch's end: coarsened u_p of the validation rows, if its audit lets them go. */
interface ValidationMessage {
  readonly step: number;
  readonly partials: number[] | null;
  readonly audit: { passed: boolean; reasons: readonly string[] };
}

export interface TransformJson {
  readonly means: number[];
  readonly scales: number[];
  readonly rowScale: number;
  readonly clipNorm: number | null;
}

export const transformToJson = (t: FeatureTransform): TransformJson => ({ means: Array.from(t.means), scales: Array.from(t.scales), rowScale: t.rowScale, clipNorm: t.clipNorm });
export const transformFromJson = (t: TransformJson): FeatureTransform => ({ means: Float64Array.from(t.means), scales: Float64Array.from(t.scales), rowScale: t.rowScale, clipNorm: t.clipNorm });

/** The brand's trained model as stored. */
export interface BrandModelJson {
  readonly transform: TransformJson;
  readonly weights: number[];
  readonly labelTransform: { mean: number; sd: number } | null;
  readonly platt: PlattScaling | null;
  /** Revenue models: validation predictions, the lead base revenue scores are placed in. */
  readonly leadBase: number[] | null;
  readonly metrics: { validationAuc: number | null; validationLoss: number | null; validationRows: number };
  readonly providerAudit: ValidationMessage['audit'];
}

/** The provider's trained model as stored. */
export interface ProviderModelJson {
  readonly transform: TransformJson;
  readonly weights: number[];
  readonly audit: ModelAudit;
}

export const brandModelOf = (modelId: string, json: BrandModelJson): BrandModel => ({
  modelId,
  transform: transformFromJson(json.transform),
  weights: Float64Array.from(json.weights),
  labelTransform: json.labelTransform,
});

interface BrandWork {
  readonly session: BrandSession;
  readonly validation: RowsData;
  dispose(): void;
}

interface ProviderWork {
  readonly session: ProviderSession;
  readonly validation: RowsData;
  dispose(): void;
}

const sessionKey = (tenantId: string, modelId: string) => `${tenantId}/${modelId}`;

function heSpec(node: ScoringNode, model: ModelRecord): ScoringModelSpec {
  return heSpecOf(effectiveSpecOf(model), trainingSplit(model.rowPersons!.length, node.policy).train, node.policy);
}

async function partyData(job: JobContext, model: ModelRecord, spec: ScoringModelSpec): Promise<{ train: RowsData; validation: RowsData }> {
  const data = await job.inTenant((trx) => partyColumns(trx, effectiveSpecOf(model), model.role, model.rowPersons!));
  return { train: rowsOf(data, 0, spec.rows), validation: rowsOf(data, spec.rows, model.rowPersons!.length) };
}

function brandWork(node: ScoringNode, job: JobContext, model: ModelRecord): Promise<BrandWork> {
  return node.sessions.get(sessionKey(job.tenantId, model.id), async () => {
    const spec = heSpec(node, model);
    const { train, validation } = await partyData(job, model, spec);
    const secrets = await job.inTenant((trx) => openSecrets(trx, node.masterKey, model));
    const session = startBrandSession(await node.backend(), spec, { features: train.features, labels: train.labels }, { noiseSeed: secrets.seed, ...(secrets.heKey ? { heKey: secrets.heKey } : {}) });
    secrets.heKey?.fill(0);
    return { session, validation, dispose: () => session.dispose() };
  });
}

function providerWork(node: ScoringNode, job: JobContext, model: ModelRecord, brandColumns: Uint8Array): Promise<ProviderWork> {
  return node.sessions.get(sessionKey(job.tenantId, model.id), async () => {
    const spec = heSpec(node, model);
    const { train, validation } = await partyData(job, model, spec);
    const secrets = await job.inTenant((trx) => openSecrets(trx, node.masterKey, model));
    const session = startProviderSession(await node.backend(), spec, train.features, secrets.seed);
    try {
      session.acceptBrandColumns(brandColumns);
    } catch (error) {
      session.dispose();
      throw error;
    }
    return { session, validation, dispose: () => session.dispose() };
  });
}

/**
 * Commits one step's outcome if the checkpoint is still the one the step started from (another
 * worker may have done it meanwhile: then this one's work is dropped, and its messages were the same).
 */
async function commitStep(job: JobContext, modelId: string, from: unknown, write: (trx: TenantTransaction, model: ModelRecord) => Promise<void>): Promise<void> {
  await job.inTenant(async (trx) => {
    const model = await requireModel(trx, modelId, { forUpdate: true });
    if (model.status !== 'training' || JSON.stringify(model.checkpoint) !== JSON.stringify(from)) return;
    await write(trx, model);
  });
}

const epochOf = (step: number, batches: number) => Math.floor(step / batches) + 1;

async function brandTurn(node: ScoringNode, job: JobContext, modelId: string): Promise<void> {
  for (;;) {
    const model = await job.inTenant((trx) => requireModel(trx, modelId));
    if (model.status !== 'training') return;
    const checkpoint = model.checkpoint as BrandCheckpoint;
    const work = await brandWork(node, job, model);
    const { session } = work;
    const total = totalSteps(session.spec, session.batches);
    const weights = Float64Array.from(checkpoint.weights);
    const inbox = (kind: 'products' | 'validation', step: number) => job.inTenant((trx) => findMessage(trx, modelId, 'in', kind, step));
    const sent = (kind: 'residuals', step: number) => job.inTenant((trx) => findMessage(trx, modelId, 'out', kind, step));

    if (checkpoint.step < total && !(await sent('residuals', checkpoint.step))) {
      const columns = checkpoint.step === 0 ? session.encryptBrandColumns() : null;
      const residuals = session.encryptResiduals(checkpoint.step, weights);
      await job.inTenant(async (trx) => {
        if (columns) await storeOutgoing(trx, modelId, 'brand-columns', 0, columns);
        await storeOutgoing(trx, modelId, 'residuals', checkpoint.step, residuals);
      });
      continue;
    }

    const pending = checkpoint.pendingValidation[0];
    const validation = pending && (await inbox('validation', pending.step));
    if (pending && validation) {
      const message = parseValidation(validation.bytes, pending.step, work.validation.labels.length);
      await commitStep(job, modelId, checkpoint, async (trx, current) => {
        const outcome = brandValidation(current, work, Float64Array.from(pending.weights), message);
        const progress: EpochProgress = { epoch: epochOf(pending.step, session.batches.length), step: pending.step + 1, validationLoss: outcome.metrics.validationLoss, validationAuc: outcome.metrics.validationAuc, at: new Date().toISOString() };
        const finished = pending.step === total - 1;
        await updateModel(trx, modelId, {
          checkpoint: { ...checkpoint, pendingValidation: checkpoint.pendingValidation.slice(1) },
          progress: [...current.progress, progress],
          ...(finished ? { status: 'trained', model: outcome } : {}),
        });
      });
      continue;
    }

    const products = checkpoint.step < total ? await inbox('products', checkpoint.step) : undefined;
    if (products) {
      const residuals = (await sent('residuals', checkpoint.step))!;
      const answer = session.answerProducts(checkpoint.step, weights, residuals.digest, products.bytes);
      const epochEnd = (checkpoint.step + 1) % session.batches.length === 0;
      await commitStep(job, modelId, checkpoint, async (trx) => {
        await storeOutgoing(trx, modelId, 'masked-sums', checkpoint.step, answer.message);
        const next: BrandCheckpoint = {
          step: checkpoint.step + 1,
          weights: Array.from(answer.weights),
          pendingValidation: epochEnd ? [...checkpoint.pendingValidation, { step: checkpoint.step, weights: Array.from(answer.weights) }] : checkpoint.pendingValidation,
        };
        await updateModel(trx, modelId, { checkpoint: next });
      });
      continue;
    }
    return;
  }
}

function parseValidation(bytes: Uint8Array, step: number, rows: number): ValidationMessage {
  let message: ValidationMessage;
  try {
    message = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as ValidationMessage;
  } catch {
    throw new ScoringError('ACCORD_ERR_SCORING_MESSAGE_MALFORMED', 'the validation message is not JSON');
  }
  const partialsOk = message.partials === null || (Array.isArray(message.partials) && message.partials.length === rows && message.partials.every(Number.isFinite));
  if (message.step !== step || !partialsOk || typeof message.audit?.passed !== 'boolean') throw new ScoringError('ACCORD_ERR_SCORING_MESSAGE_MALFORMED', `the validation message for step ${step} is not well formed`);
  return message;
}

/** The brand's view of the model on its validation rows: u_b + coarsened u_p (u_p = 0 where the provider's audit withheld it). */
function brandValidation(model: ModelRecord, work: BrandWork, weights: Float64Array, message: ValidationMessage): BrandModelJson {
  const brandModel = work.session.model(weights);
  const rows = work.validation.labels.length;
  const ub = brandPartialScores(brandModel, work.validation.features, rows);
  const logits = ub.map((u, i) => u + (message.partials?.[i] ?? 0));
  const labels = work.validation.labels;
  const base = { transform: transformToJson(brandModel.transform), weights: Array.from(weights), labelTransform: brandModel.labelTransform, providerAudit: message.audit };
  if (model.spec.target === 'revenue') {
    const { mean, sd } = brandModel.labelTransform!;
    const mse = logits.reduce((total, z, i) => total + (z - (labels[i]! - mean) / sd) ** 2, 0) / rows;
    return { ...base, platt: null, leadBase: Array.from(logits), metrics: { validationAuc: null, validationLoss: mse, validationRows: rows } };
  }
  const platt = fitPlatt(logits, labels);
  const probabilities = logits.map((z) => sigmoid(platt.a * z + platt.b));
  const auc = rocAuc(logits, labels);
  return { ...base, platt, leadBase: null, metrics: { validationAuc: Number.isNaN(auc) ? null : auc, validationLoss: logLoss(probabilities, labels), validationRows: rows } };
}

async function providerTurn(node: ScoringNode, job: JobContext, modelId: string): Promise<void> {
  for (;;) {
    const model = await job.inTenant((trx) => requireModel(trx, modelId));
    if (model.status !== 'training') return;
    const checkpoint = model.checkpoint as ProviderCheckpoint;
    const columns = await job.inTenant((trx) => findMessage(trx, modelId, 'in', 'brand-columns', 0));
    if (!columns) return;
    const work = await providerWork(node, job, model, columns.bytes);
    const { session } = work;
    const total = totalSteps(session.spec, session.batches);
    const weights = Float64Array.from(checkpoint.weights);

    if (checkpoint.receipt) {
      const sums = await job.inTenant((trx) => findMessage(trx, modelId, 'in', 'masked-sums', checkpoint.receipt!.step));
      if (!sums) return;
      const receipt = { ...checkpoint.receipt, maskSums: Float64Array.from(checkpoint.receipt.maskSums) };
      const update = session.applyMaskedSums(weights, receipt, sums.bytes);
      const next = checkpoint.step + 1;
      const epochEnd = next % session.batches.length === 0;
      const trained = session.model(update.weights);
      const validation = epochEnd ? providerValidation(node, work, trained, checkpoint.step) : null;
      await commitStep(job, modelId, checkpoint, async (trx, current) => {
        if (validation) await storeOutgoing(trx, modelId, 'validation', checkpoint.step, new TextEncoder().encode(JSON.stringify(validation)));
        const finished = next === total;
        await updateModel(trx, modelId, {
          checkpoint: { ...checkpoint, step: next, weights: Array.from(update.weights), receipt: null },
          ...(epochEnd ? { progress: [...current.progress, { epoch: epochOf(checkpoint.step, session.batches.length), step: next, at: new Date().toISOString() }] } : {}),
          ...(finished ? { status: 'trained', model: { transform: transformToJson(trained.transform), weights: Array.from(trained.weights), audit: auditProviderModel(trained.weights, node.policy) } satisfies ProviderModelJson } : {}),
        });
      });
      continue;
    }

    if (checkpoint.step >= total) return;
    const residuals = await job.inTenant((trx) => findMessage(trx, modelId, 'in', 'residuals', checkpoint.step));
    if (!residuals) return;
    const products = session.computeProducts(checkpoint.step, weights, residuals.bytes);
    await commitStep(job, modelId, checkpoint, async (trx) => {
      await storeOutgoing(trx, modelId, 'products', checkpoint.step, products.message);
      const { receipt } = products;
      await updateModel(trx, modelId, { checkpoint: { ...checkpoint, receipt: { ...receipt, maskSums: Array.from(receipt.maskSums) } } });
    });
  }
}

/** Coarsened u_p of the validation rows, released only through the provider's own audit (partial-scores.ts). */
function providerValidation(node: ScoringNode, work: ProviderWork, trained: ReturnType<ProviderSession['model']>, step: number): ValidationMessage {
  const audit = auditProviderModel(trained.weights, node.policy);
  if (!audit.passed) return { step, partials: null, audit: { passed: false, reasons: audit.reasons } };
  return { step, partials: Array.from(releasePartialScores(trained, work.validation.features, node.policy)), audit: { passed: true, reasons: [] } };
}

/** Sends every stored message the peer has not acknowledged, in protocol order. */
async function deliver(node: ScoringNode, job: JobContext, modelId: string): Promise<void> {
  const { pending, peer } = await job.inTenant(async (trx) => {
    const model = await requireModel(trx, modelId);
    const pending = await undelivered(trx, modelId);
    if (pending.length === 0) return { pending, peer: null };
    const collaboration = await loadScoringCollaboration(trx, node.identity.nodeId, model.collaborationId, model.spec.target, { allowClosed: true });
    return { pending, peer: await modelPeer(trx, collaboration, model.peerNodeId) };
  });
  for (const message of pending) {
    const response = await signedRequest(node.identity, peer!, 'POST', `/v1/node/models/${modelId}/messages/${message.kind}/${message.step}`, message.bytes, 'application/octet-stream', { timeoutMs: 300_000 });
    const text = await response.text();
    if (!response.ok) {
      const detail = `the peer refused ${message.kind} ${message.step}: ${response.status} ${text.slice(0, 500)}`;
      // A refusal (4xx) will not change on a retry; an error of the peer's (5xx) may.
      throw response.status < 500 ? new UnrecoverableJobError(detail) : new Error(detail);
    }
    await job.inTenant((trx) => markDelivered(trx, modelId, message.kind, message.step));
  }
}

/** The `scoring.turn` processor: payload { modelId }. */
export const scoringTurnJob =
  (node: ScoringNode): JobProcessor =>
  async (job) => {
    const { modelId } = job.payload as { modelId: string };
    const model = await job.inTenant((trx) => requireModel(trx, modelId));
    try {
      if (model.role === 'brand') await brandTurn(node, job, modelId);
      else await providerTurn(node, job, modelId);
    } catch (error) {
      if (!(error instanceof ScoringError || error instanceof HeError)) throw error;
      // The peer sent something refused: the model stops here, and nothing more is released from it.
      await job.inTenant((trx) => updateModel(trx, modelId, { status: 'failed', error: `${error.code}: ${error.message}` }));
      await node.sessions.drop(sessionKey(job.tenantId, modelId));
      throw new UnrecoverableJobError(error.message);
    }
    await deliver(node, job, modelId);
    const after = await job.inTenant((trx) => requireModel(trx, modelId));
    if (after.status !== 'training') await node.sessions.drop(sessionKey(job.tenantId, modelId));
  };

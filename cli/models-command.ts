/**
 * `accord models`: federated models from the command line, through the same core functions as
 * /v1/models, /v1/scores and /v1/lookalikes, acting as this node (its identity signs what goes to
 * the peer). `watch` follows training with a progress line per epoch (validation AUC and loss at the
 * brand) until the model is trained or failed. Training itself runs in the node's workers.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_TENANT } from '../core/tenancy/tenants.ts';
import type { Config } from '../core/config/config.ts';
import type { ConsentGate } from '../core/consent/consent-gate.ts';
import { withTenant } from '../core/db/tenant-scope.ts';
import { resolveMasterKey } from '../core/identity/master-key.ts';
import { loadOrCreateNodeIdentity } from '../core/identity/node-identity.ts';
import { leadScoreRequestSchema, scoreLeads } from '../core/scoring/lead-scoring.ts';
import { expandLookalike } from '../core/scoring/lookalike-expansion.ts';
import { modelConstraintsSchema } from '../core/scoring/model-agreement.ts';
import { modelCard } from '../core/scoring/model-card.ts';
import { approveModel, deliverApproval, modelProposalSchema, proposeModel } from '../core/scoring/model-proposals.ts';
import { listModels, requireModel, type EpochProgress, type ModelRecord } from '../core/scoring/model-store.ts';
import { scoringNodeOf } from '../core/scoring/scoring-node.ts';
import { startTraining } from '../core/scoring/start-training.ts';
import { usageText, type UsageTopic } from './command-usages.ts';
import { printResult, tableText } from './print-rows.ts';
import { readJsonFile } from './read-json-file.ts';
import { UsageError } from './usage-error.ts';
import { withTenantDatabase } from './with-tenant-database.ts';

const ACTOR = 'cli';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const options = {
  tenant: { type: 'string', default: DEFAULT_TENANT },
  json: { type: 'boolean', default: false },
  constraints: { type: 'string' },
  segment: { type: 'string' },
  revenue: { type: 'string' },
  sizes: { type: 'string' },
  interval: { type: 'string' },
} as const;

/** One progress line: the epoch, its step, and at the brand the validation metrics. */
export function progressLine(model: Pick<ModelRecord, 'id' | 'status'>, progress: EpochProgress, epochs: number): string {
  const metrics = [progress.validationAuc != null ? `validation AUC ${progress.validationAuc.toFixed(4)}` : null, progress.validationLoss != null ? `loss ${progress.validationLoss.toFixed(4)}` : null].filter(Boolean);
  return `model ${model.id}: epoch ${progress.epoch}/${epochs}, step ${progress.step}${metrics.length ? `, ${metrics.join(', ')}` : ''}`;
}

const modelRow = (m: ModelRecord) => ({ id: m.id, name: m.spec.name, target: m.spec.target, role: m.role, status: m.status, epochs: `${m.progress.length}/${m.spec.epochs}` });

export async function modelsCommand(config: Config, gate: ConsentGate, args: string[]): Promise<void> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options });
  const [action, ...rest] = positionals;
  const arity: Record<string, number> = { list: 0, show: 1, card: 1, watch: 1, propose: 1, approve: 1, train: 1, score: 1, lookalike: 1 };
  if (!action) return console.log(usageText('models'));
  if (arity[action] === undefined) throw new UsageError(`unknown models command "${action}"\n${usageText('models')}`);
  if (rest.length !== arity[action]) throw new UsageError(usageText(`models ${action}` as UsageTopic));
  const id = rest[0];
  if (id && action !== 'propose' && !UUID.test(id)) throw new UsageError(`model id ${JSON.stringify(id)} is not a UUID`);

  await withTenantDatabase(config, values.tenant, async (db, tenant) => {
    const masterKey = resolveMasterKey(config);
    const scoring = scoringNodeOf(await loadOrCreateNodeIdentity(db, masterKey, config.partyName), masterKey, gate);
    const inTenant = <T>(work: Parameters<typeof withTenant<T>>[2]) => withTenant(db, tenant.id, work);
    switch (action) {
      case 'list': {
        const models = await inTenant((trx) => listModels(trx, 500));
        return printResult(values.json, models, () => (models.length ? tableText(models.map(modelRow), ['id', 'name', 'target', 'role', 'status', 'epochs']) : 'no models'));
      }
      case 'show':
      case 'card': {
        const card = await inTenant(async (trx) => modelCard(trx, await requireModel(trx, id!)));
        return printResult(values.json, card, () => JSON.stringify(card, null, 2));
      }
      case 'watch':
        return watch(id!, inTenant, Number(values.interval ?? 2));
      case 'propose': {
        const proposal = modelProposalSchema.safeParse(await readJsonFile(id!));
        if (!proposal.success) throw new UsageError(`${id}: ${proposal.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
        const model = await inTenant((trx) => proposeModel(scoring, trx, proposal.data, ACTOR));
        return printResult(values.json, modelRow(model), () => `proposed model ${model.id}; the provider approves it next`);
      }
      case 'approve': {
        const constraints = modelConstraintsSchema.parse(values.constraints ? await readJsonFile(values.constraints) : {});
        const { model, approval } = await inTenant((trx) => approveModel(scoring, trx, id!, constraints, ACTOR));
        await inTenant((trx) => deliverApproval(scoring, trx, model, approval));
        return printResult(values.json, modelRow(model), () => `approved model ${model.id}; the brand may start training`);
      }
      case 'train': {
        const model = await startTraining(scoring, inTenant, id!, ACTOR);
        if (values.json) return printResult(true, modelRow(model), () => '');
        console.log(`training model ${model.id} on ${model.rowPersons?.length ?? 0} aligned rows`);
        return watch(id!, inTenant, Number(values.interval ?? 2));
      }
      case 'score': {
        if (!values.segment) throw new UsageError(usageText('models score'));
        const request = leadScoreRequestSchema.parse({ speedModelId: id, segmentId: Number(values.segment), ...(values.revenue ? { revenueModelId: values.revenue } : {}) });
        const result = await scoreLeads(scoring, inTenant, request, ACTOR);
        return printResult(values.json, result, () => `scored ${result.scored} of ${result.requested} leads into tag ${result.tags.speed}${result.tags.revenue ? ` and ${result.tags.revenue}` : ''}`);
      }
      case 'lookalike': {
        const sizes = (values.sizes ?? '').split(',').filter(Boolean).map(Number);
        if (sizes.length === 0 || !sizes.every(Number.isSafeInteger)) throw new UsageError(usageText('models lookalike'));
        const expansion = await expandLookalike(scoring, inTenant, { modelId: id!, sizes }, ACTOR);
        const { report } = expansion;
        return printResult(values.json, expansion, () =>
          [`lookalike ${expansion.id}: population ${report.population}, holdout ${report.holdout}, recall of the top 20% ${report.recallTop20 ?? 'n/a'}`, tableText(report.sizes.map((s) => ({ size: s.size, recall: s.recall.toFixed(3), lift: s.lift.toFixed(2) })), ['size', 'recall', 'lift'])].join('\n'),
        );
      }
    }
  });
}

/** Prints each new epoch's line until the model is trained or failed. */
async function watch(id: string, inTenant: <T>(work: Parameters<typeof withTenant<T>>[2]) => Promise<T>, intervalSeconds: number): Promise<void> {
  let shown = 0;
  for (;;) {
    const model = await inTenant((trx) => requireModel(trx, id));
    for (const progress of model.progress.slice(shown)) console.log(progressLine(model, progress, model.spec.epochs));
    shown = model.progress.length;
    if (model.status === 'trained') return console.log(`model ${id} trained`);
    if (model.status === 'failed') throw new UsageError(`model ${id} failed: ${model.error}`);
    if (model.status !== 'training') return console.log(`model ${id} is ${model.status}`);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0.2, intervalSeconds) * 1000));
  }
}

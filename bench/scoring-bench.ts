/**
 * `npm run bench -- scoring [--rows 100000] [--features 50] [--brand-features 5] [--epochs 5]`
 * Vertical training between two real nodes in this process (bench-node.ts: production composition
 * root, each with its own throwaway database and job runner), through the node's whole training
 * path: `scoring.turn` jobs on each node's queue, step messages stored as blobs in each party's
 * inbox and sent over the signed node-to-node transport, a checkpoint after every step. Setup is
 * direct: persons and their tags (synthetic, test/support/two-party-scoring.ts) are written into
 * each node's stores and both model rows are put in training with aligned rows, which skips PSI and
 * row alignment (their own benches cover them). Reports wall time from the first job to the trained
 * model, bytes each way, peak RSS of the process (both nodes), and, inside the bench only, the AUC
 * gap on held-out rows to a centralised plaintext model trained on the same rows and batches.
 * The label-leakage AUC comes from `bench/scoring-steps.ts` (the same steps, where the provider's
 * per-step view is at hand). Goals (issue 13): 100k × 55, 5 epochs ≤ 30 s; AUC within 0.005.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DEFAULT_TENANT } from '../core/tenancy/tenants.ts';
import { publishNotice } from '../core/consent/notices.ts';
import { definePurpose } from '../core/consent/purposes.ts';
import { withTenant } from '../core/db/tenant-scope.ts';
import { enqueueJob } from '../core/jobs/enqueue-job.ts';
import { brandPartialScores } from '../core/scoring/lead-scores.ts';
import { parseModelSpec, type ModelSpecDocument } from '../core/scoring/model-agreement.ts';
import { messageBytes } from '../core/scoring/model-messages.ts';
import { rocAuc } from '../core/scoring/model-metrics.ts';
import { defaultScoringPolicy } from '../core/scoring/model-spec.ts';
import { insertModel, requireModel, sealSecrets, updateModel } from '../core/scoring/model-store.ts';
import { lookalikeScores } from '../core/scoring/lookalike.ts';
import { SCORING_TURN_JOB } from '../core/scoring/start-training.ts';
import { heSpecOf, trainingSplit } from '../core/scoring/training-data.ts';
import { brandModelOf, transformFromJson, type ProviderModelJson } from '../core/scoring/training-turns.ts';
import { defineTag } from '../core/tags/tag-definitions.ts';
import { writeTagValues } from '../core/tags/tag-value-store.ts';
import { createApiKey } from '../core/tenancy/api-keys.ts';
import { ensureTenant } from '../core/tenancy/tenants.ts';
import { loadSealBackend } from '../crypto/he/seal-backend.ts';
import { sliceRows, syntheticData, trainPlaintext } from '../test/support/two-party-scoring.ts';
import { intOption, type Benchmark } from './benchmark.ts';
import { startBenchNode } from './bench-node.ts';
import { formatTable, num } from './report.ts';

const PURPOSE = 'scoring.bench';
const RECIPIENT = 'bench-provider';
const TEST_SHARE = 0.2;

type BenchNode = Awaited<ReturnType<typeof startBenchNode>>['node'];

async function startScoringBenchNode(name: string, masterKey: Uint8Array) {
  const started = await startBenchNode({ masterKey: Buffer.from(masterKey).toString('base64'), partyName: name, rateLimitPerMinute: 1_000_000 });
  const { node } = started;
  const db = node.database.db;
  const tenant = await ensureTenant(db, DEFAULT_TENANT);
  const { token } = await createApiKey(db, { tenantId: tenant.id, name: 'bench', scopes: ['admin'] });
  await withTenant(db, tenant.id, async (trx) => {
    await definePurpose(trx, { key: PURPOSE, name: 'Benchmark scoring', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, retentionDays: null, sensitiveCategory: null, requiresNamedRecipient: true, crossBorder: false, publicDisclosure: false });
    await publishNotice(trx, { noticeKey: 'bench', language: 'zh-CN', content: '基准', purposes: [PURPOSE], recipients: [RECIPIENT], dataCategories: ['tags'] });
  });
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const response = await fetch(node.url! + path, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const json = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${name}: ${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`);
    return json;
  };
  return { name, node, db, tenantId: tenant.id, masterKey, call, close: started.close };
}

type ScoringBenchNode = Awaited<ReturnType<typeof startScoringBenchNode>>;

async function approvedCollaboration(brand: ScoringBenchNode, provider: ScoringBenchNode): Promise<string> {
  const pin = (self: ScoringBenchNode, other: BenchNode, name: string) => self.call('POST', '/v1/peers', { nodeId: other.identity.nodeId, name, baseUrl: other.url, publicKey: Buffer.from(other.identity.publicKey).toString('base64') });
  await pin(brand, provider.node, provider.name);
  const brandOnProvider = (await pin(provider, brand.node, brand.name)).id as string;
  const created = await brand.call('POST', '/v1/collaborations', {
    name: 'Scoring benchmark',
    parties: [{ nodeId: brand.node.identity.nodeId, role: 'brand' }, { nodeId: provider.node.identity.nodeId, role: 'provider' }],
    purpose: PURPOSE,
    recipients: [RECIPIENT],
    idTypes: ['email'],
    expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
  });
  const id = created.id as string;
  await brand.call('POST', `/v1/collaborations/${id}/approve`, { constraints: {} });
  await provider.call('POST', '/v1/collaborations/import', { fromPeer: brandOnProvider, collaborationId: id });
  await provider.call('POST', `/v1/collaborations/${id}/approve`, { constraints: {} });
  for (let i = 0; (await brand.call('GET', `/v1/collaborations/${id}`)).status !== 'approved'; i++) {
    if (i > 300) throw new Error('the approval never reached the brand');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return id;
}

/** Persons with these tag columns; returns their ids in column order. */
async function seedPersons(n: ScoringBenchNode, columns: Record<string, Float64Array>, rows: number): Promise<number[]> {
  return withTenant(n.db, n.tenantId, async (trx) => {
    const ids: number[] = [];
    for (let i = 0; i < rows; i += 5_000) {
      const inserted = await trx.insertInto('persons').values(Array.from({ length: Math.min(5_000, rows - i) }, () => ({ tenant_id: trx.tenantId }))).returning('id').execute();
      ids.push(...inserted.map((row) => Number(row.id)));
    }
    for (const [key, column] of Object.entries(columns)) {
      await defineTag(trx, { key, kind: 'static', valueType: 'number', multiValued: false, description: key, owner: 'bench' }, 'bench');
      await writeTagValues(trx, key, new Map(ids.map((id, i) => [id, column[i]!])), [], 'bench');
    }
    return ids;
  });
}

export const scoringBenchmark: Benchmark = {
  name: 'scoring',
  describe: 'federated training between two nodes through jobs, blob inboxes and the signed transport (AUC gap, time, bytes, peak RSS)',
  options: { rows: { type: 'string' }, features: { type: 'string' }, 'brand-features': { type: 'string' }, epochs: { type: 'string' } },
  async run(options, progress) {
    const rows = intOption(options, 'rows', 100_000);
    const providerFeatures = intOption(options, 'features', 50);
    const brandFeatures = intOption(options, 'brand-features', 5, { min: 0 });
    const epochs = intOption(options, 'epochs', 5);
    const testRows = Math.round(rows * TEST_SHARE);
    const all = syntheticData({ rows: rows + testRows, providerFeatures, brandFeatures });
    const data = sliceRows(all, 0, rows);
    const test = sliceRows(all, rows, rows + testRows);
    const providerTags = Array.from({ length: providerFeatures }, (_, j) => `p${j}`);
    const brandTags = Array.from({ length: brandFeatures }, (_, k) => `b${k}`);

    const brand = await startScoringBenchNode('Bench brand', randomBytes(32));
    const provider = await startScoringBenchNode('Bench provider', randomBytes(32));
    try {
      const collaborationId = await approvedCollaboration(brand, provider);
      const setupStart = performance.now();
      const brandPersons = await seedPersons(brand, { label: data.labels, ...Object.fromEntries(brandTags.map((tag, k) => [tag, data.brand[k]!])) }, rows);
      const providerPersons = await seedPersons(provider, Object.fromEntries(providerTags.map((tag, j) => [tag, data.provider[j]!])), rows);
      progress(`seeded ${rows} persons with ${providerFeatures} + ${brandFeatures} tags in ${num((performance.now() - setupStart) / 1000)} s`);

      const spec: ModelSpecDocument = parseModelSpec({ id: randomUUID(), collaborationId, name: 'bench', target: 'speed', heParams: 'ckks-8192', psiRunId: randomUUID(), labelTag: 'label', brandTags, providerTags, batchRows: defaultScoringPolicy.minBatchRows, epochs, labelDpSigma: 4, learningRate: 1, l2: 1e-3 });
      const heSpec = heSpecOf(spec, trainingSplit(rows, defaultScoringPolicy).train, defaultScoringPolicy);
      const backend = await loadSealBackend();
      const context = backend.createContext(heSpec.heParams);
      const key = context.generateSecretKey();
      const heKey = key.export();
      key.dispose();
      context.dispose();
      const place = (n: ScoringBenchNode, role: 'brand' | 'provider', peer: ScoringBenchNode, persons: number[], seal: Uint8Array, checkpoint: unknown) =>
        withTenant(n.db, n.tenantId, async (trx) => {
          await insertModel(trx, { spec, role, peerNodeId: peer.node.identity.nodeId, approvals: [], status: 'approved', actor: 'bench' });
          await updateModel(trx, spec.id, { status: 'training', rowPersons: persons, secretsSealed: seal, checkpoint });
        });
      await place(provider, 'provider', brand, providerPersons, sealSecrets(provider.masterKey, provider.tenantId, spec.id, 'provider', { seed: randomBytes(32) }), { step: 0, weights: new Array(providerFeatures).fill(0), receipt: null, alignment: null });
      await place(brand, 'brand', provider, brandPersons, sealSecrets(brand.masterKey, brand.tenantId, spec.id, 'brand', { seed: randomBytes(32), heKey }), { step: 0, weights: new Array(brandFeatures + 1).fill(0), pendingValidation: [] });

      const cpuStart = process.cpuUsage();
      const started = performance.now();
      await withTenant(brand.db, brand.tenantId, (trx) => enqueueJob(trx, SCORING_TURN_JOB, { modelId: spec.id }));
      let shown = 0;
      for (;;) {
        const model = await withTenant(brand.db, brand.tenantId, (trx) => requireModel(trx, spec.id));
        for (const p of model.progress.slice(shown)) progress(`epoch ${p.epoch}: ${num((performance.now() - started) / 1000)} s, validation AUC ${p.validationAuc?.toFixed(4) ?? 'n/a'}`);
        shown = model.progress.length;
        if (model.status === 'trained') break;
        if (model.status === 'failed') throw new Error(`training failed: ${model.error}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuStart);

      const brandModel = await withTenant(brand.db, brand.tenantId, (trx) => requireModel(trx, spec.id));
      const providerModel = await withTenant(provider.db, provider.tenantId, (trx) => requireModel(trx, spec.id));
      const bytes = await withTenant(brand.db, brand.tenantId, (trx) => messageBytes(trx, spec.id));
      const weights = (brandModel.checkpoint as { weights: number[] }).weights;
      const providerJson = providerModel.model as ProviderModelJson;
      const ub = brandPartialScores(brandModelOf(spec.id, { ...(brandModel.model as Parameters<typeof brandModelOf>[1]), weights }), test.brand, testRows);
      const up = lookalikeScores({ modelId: spec.id, transform: transformFromJson(providerJson.transform), weights: Float64Array.from(providerJson.weights) }, test.provider);
      const federatedAuc = rocAuc(ub.map((u, i) => u + up[i]!), test.labels);
      const centralAuc = rocAuc(trainPlaintext(heSpec, sliceRows(data, 0, heSpec.rows), 4096).score(test), test.labels);
      const peakRssMb = process.resourceUsage().maxRSS / 1024;
      const figures = {
        rows,
        trainRows: heSpec.rows,
        features: providerFeatures + brandFeatures,
        epochs,
        database: brand.node.database.target.kind,
        queue: process.env.REDIS_URL ? 'bullmq' : 'in-process',
        seconds: Number(seconds.toFixed(2)),
        secondsPerEpoch: Number((seconds / epochs).toFixed(2)),
        cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
        brandToProviderMb: Number((bytes.sent / 1e6).toFixed(1)),
        providerToBrandMb: Number((bytes.received / 1e6).toFixed(1)),
        peakRssMb: Math.round(peakRssMb),
        federatedAuc: Number(federatedAuc.toFixed(4)),
        centralAuc: Number(centralAuc.toFixed(4)),
        aucGap: Number((centralAuc - federatedAuc).toFixed(4)),
        validationAuc: brandModel.progress.at(-1)?.validationAuc ?? null,
      };
      console.log(
        formatTable(
          ['rows', 'features', 'epochs', 'total s', 's/epoch', 'MB →', 'MB ←', 'peak RSS MB', 'AUC', 'central AUC', 'gap'],
          [[rows, figures.features, epochs, num(seconds), num(figures.secondsPerEpoch), figures.brandToProviderMb, figures.providerToBrandMb, figures.peakRssMb, figures.federatedAuc, figures.centralAuc, figures.aucGap]],
        ),
      );
      return figures;
    } finally {
      await brand.close();
      await provider.close();
    }
  },
};

/**
 * Federated scoring between two nodes over real HTTP: a brand and a data provider agree a model spec
 * (signed, strictest wins), align rows from a PSI run through both gates, train as jobs with live
 * progress, and release lead scores only through the provider's audit, caps and minimum batch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { storageBackends } from '../support/test-database.ts';
import { approvedModel, LABELLED, LOOKALIKE_PURPOSE, modelEnded, PROVIDER_TAGS, proposeModel, psiRun, scoringCollaboration, startScoringPair, stopScoringNodes, type ScoringPair, type ScoringTestNode } from './scoring-fixtures.ts';

describe.each(storageBackends)('federated models between two nodes on %s', (backend) => {
  let pair: ScoringPair;
  let brand: ScoringTestNode;
  let provider: ScoringTestNode;

  beforeAll(async () => {
    pair = await startScoringPair(backend);
    ({ brand, provider } = pair);
  }, 120_000);

  afterAll(() => stopScoringNodes(brand, provider));

  const propose = (overrides: Record<string, unknown> = {}) => proposeModel(pair, overrides);
  const approved = (overrides: Record<string, unknown> = {}, constraints: Record<string, unknown> = {}) => approvedModel(pair, overrides, constraints);

  let speedModel: string;

  it('agrees a spec signed by both, the strictest settings winning', async () => {
    // The provider's floor on label noise wins over the brand's lower σ; kept low enough that 1,400 labels still train a useful model.
    speedModel = await approved({ labelDpSigma: 1 }, { minLabelDpSigma: 2, maxEpochs: 2 });
    const view = (await brand.node.call('GET', `/v1/models/${speedModel}`)).body;
    expect(view.status).toBe('approved');
    expect(view.effectiveSpec).toMatchObject({ labelDpSigma: 2, epochs: 2, batchRows: 256 });
    expect(view.spec).toMatchObject({ labelDpSigma: 1, epochs: 3 });
    expect(view.approvals.map((a: { nodeId: string }) => a.nodeId).sort()).toEqual([brand.node.identity.nodeId, provider.node.identity.nodeId].sort());
    expect((await provider.node.call('GET', `/v1/models/${speedModel}`)).body).toMatchObject({ role: 'provider', status: 'approved', effectiveSpec: { labelDpSigma: 2, epochs: 2 } });
  });

  it('trains as jobs on both nodes, with progress and validation AUC at the brand, on the rows both gates allow', async () => {
    const started = await brand.node.call('POST', `/v1/models/${speedModel}/train`);
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const trained = await modelEnded(brand, speedModel);
    expect(trained.error).toBeNull();
    expect(trained.status).toBe('trained');
    expect(trained.progress.map((p) => p.epoch)).toEqual([1, 2]);
    expect(trained.progress.at(-1)!.validationAuc).toBeGreaterThan(0.75);
    expect((await modelEnded(provider, speedModel)).status).toBe('trained');

    const brandCard = (await brand.node.call('GET', `/v1/models/${speedModel}/card`)).body;
    expect(brandCard.features).toEqual({ brand: ['visits'], provider: 8 });
    expect(brandCard.audit.passed).toBe(true);
    expect(brandCard.labelPrivacy.epsilon).toBeGreaterThan(0);
    const providerCard = (await provider.node.call('GET', `/v1/models/${speedModel}/card`)).body;
    expect(providerCard.features.brand).toBe(1);
    expect(providerCard.features.provider.map((f: { tag: string }) => f.tag)).toEqual(PROVIDER_TAGS);
    expect(providerCard.metrics).toBeNull();

    // 1,400 labelled matches went to the provider; its gate kept out users 0..19.
    const record = async (n: ScoringTestNode) =>
      withTenant(n.node.t.db, n.node.tenantId, (trx) => trx.selectFrom('processing_records').select(['subjects_in', 'subjects_out']).where('activity', '=', 'scoring.training').executeTakeFirstOrThrow());
    expect(await record(provider)).toEqual({ subjects_in: LABELLED, subjects_out: LABELLED - 20 });
    expect(await record(brand)).toEqual({ subjects_in: LABELLED, subjects_out: LABELLED - 20 });
    expect(await withTenant(provider.node.t.db, provider.node.tenantId, (trx) => trx.selectFrom('scoring_models').select('row_persons').where('id', '=', speedModel).executeTakeFirstOrThrow())).toMatchObject({ row_persons: expect.any(Array) });
  });

  let leadSegment: number;

  it('scores at least 100 leads into brand-side tags, once per person and model', async () => {
    const segment = await brand.node.call('POST', '/v1/segments', { kind: 'static', name: 'Leads', rule: { tag: 'is_lead', op: 'has' } });
    expect(segment.status, JSON.stringify(segment.body)).toBe(201);
    leadSegment = segment.body.segment.id;
    const scored = await brand.node.call('POST', '/v1/scores', { speedModelId: speedModel, segmentId: leadSegment });
    expect(scored.status, JSON.stringify(scored.body)).toBe(200);
    expect(scored.body).toEqual({ requested: 200, scored: 200, tags: { speed: 'lead_speed', revenue: null } });
    const values = (await brand.node.call('GET', '/v1/tags/lead_speed/values?limit=1000')).body.values as { value: number }[];
    expect(values).toHaveLength(200);
    expect(values.every((v) => v.value >= 0 && v.value <= 1)).toBe(true);
    const inSegment = await brand.node.call('POST', '/v1/segments/estimate', { rule: { tag: 'lead_speed', op: '>', value: 0.5 } });
    expect(inSegment.status).toBe(200);

    const again = await brand.node.call('POST', '/v1/scores', { speedModelId: speedModel, segmentId: leadSegment });
    expect(again.body.code).toBe('ACCORD_ERR_SCORING_RELEASE_CAP');
    const records = await withTenant(provider.node.t.db, provider.node.tenantId, (trx) => trx.selectFrom('processing_records').select(['subjects_out']).where('activity', '=', 'scoring.lead-scores.released').execute());
    expect(records).toEqual([{ subjects_out: 200 }]);
    const stored = await withTenant(brand.node.t.db, brand.node.tenantId, (trx) => trx.selectFrom('processing_records').select(['subjects_out']).where('activity', '=', 'scoring.lead-scores.stored').execute());
    expect(stored).toEqual([{ subjects_out: 200 }]);
  });

  it('refuses a scoring request below 100 leads', async () => {
    const few = await brand.node.call('POST', '/v1/segments', { kind: 'static', name: 'Few leads', rule: { all: [{ tag: 'is_lead', op: 'has' }, { tag: 'visits', op: '>', value: 1.5 }] } });
    expect(few.status, JSON.stringify(few.body)).toBe(201);
    const refused = await brand.node.call('POST', '/v1/scores', { speedModelId: speedModel, segmentId: few.body.segment.id });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('ACCORD_ERR_SCORING_RELEASE_TOO_SMALL');
  });

  it('refuses specs whose batches are below the feature count or the minimum, and tags the provider does not offer', async () => {
    expect((await propose({ batchRows: 5 })).body.code).toBe('ACCORD_ERR_SCORING_BATCH_BELOW_FEATURES');
    expect((await propose({ batchRows: 100 })).body.code).toBe('ACCORD_ERR_SCORING_BATCH_BELOW_MINIMUM');
    const unknownTag = await propose({ providerTags: [...PROVIDER_TAGS, 'income'] });
    expect(unknownTag.status).toBe(422);
    expect(unknownTag.body.code).toBe('ACCORD_ERR_SCORING_SPEC_INVALID');
    expect((await propose({ target: 'lookalike', brandTags: [] })).body.code).toBe('ACCORD_ERR_SCORING_NOT_ALLOWED');
  });

  it('refuses, at the provider, to release scores from a model trained on a label that copies one tag', async () => {
    const crafted = await approved({ labelTag: 'copy_t0', brandTags: [] });
    expect((await brand.node.call('POST', `/v1/models/${crafted}/train`)).status).toBe(202);
    expect((await modelEnded(brand, crafted)).status).toBe('trained');
    expect((await modelEnded(provider, crafted)).status).toBe('trained');
    const card = (await provider.node.call('GET', `/v1/models/${crafted}/card`)).body;
    expect(card.audit.passed).toBe(false);
    // The brand never got partial scores for validation either.
    expect((await brand.node.call('GET', `/v1/models/${crafted}/card`)).body.audit.passed).toBe(false);
    const refused = await brand.node.call('POST', '/v1/scores', { speedModelId: crafted, segmentId: leadSegment });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('ACCORD_ERR_SCORING_AUDIT_REFUSED');
  });

  it('refuses a different message for a step already received, and a message of the wrong kind', async () => {
    const { signedRequest } = await import('../../core/peers/peer-client.ts');
    const send = (kind: string, step: number, bytes: Uint8Array) =>
      signedRequest(provider.node.identity, { nodeId: brand.node.identity.nodeId, baseUrl: brand.node.url }, 'POST', `/v1/node/models/${speedModel}/messages/${kind}/${step}`, bytes, 'application/octet-stream');
    const replayed = await send('products', 0, new Uint8Array([1, 2, 3]));
    expect(replayed.status).toBe(409);
    expect((await replayed.json()).code).toBe('ACCORD_ERR_SCORING_MESSAGE_CONFLICT');
    const wrongKind = await send('masked-sums', 0, new Uint8Array([1]));
    expect(wrongKind.status).toBe(403);
    expect((await wrongKind.json()).code).toBe('ACCORD_ERR_SCORING_MESSAGE_BINDING');
  });

  it('expands a lookalike seed: the provider keeps the audience, the brand sees guarded aggregates only', async () => {
    const collaboration = await scoringCollaboration(brand, provider, LOOKALIKE_PURPOSE, true);
    const run = await psiRun(brand, collaboration);
    const proposed = await brand.node.call('POST', '/v1/models', { collaborationId: collaboration, name: 'Buyers lookalike', target: 'lookalike', psiRunId: run, labelTag: 'converted', brandTags: [], providerTags: PROVIDER_TAGS, batchRows: 256, epochs: 3 });
    expect(proposed.status, JSON.stringify(proposed.body)).toBe(201);
    const modelId = proposed.body.id as string;
    expect((await provider.node.call('POST', `/v1/models/${modelId}/approve`, { constraints: {} })).status).toBe(200);
    expect((await brand.node.call('POST', `/v1/models/${modelId}/train`)).status).toBe(202);
    expect((await modelEnded(brand, modelId)).status).toBe('trained');
    expect((await modelEnded(provider, modelId)).status).toBe('trained');

    expect((await brand.node.call('POST', '/v1/lookalikes', { modelId, sizes: [50] })).body.code).toBe('ACCORD_ERR_SCORING_RELEASE_TOO_SMALL');
    const expanded = await brand.node.call('POST', '/v1/lookalikes', { modelId, sizes: [200, 400] });
    expect(expanded.status, JSON.stringify(expanded.body)).toBe(201);
    const { report } = expanded.body;
    expect(report.sizes.map((s: { size: number }) => s.size)).toEqual([200, 400]);
    expect(report.sizes[0].lift).toBeGreaterThan(1.2);
    expect(report.holdout).toBeGreaterThanOrEqual(20);
    expect(report.histogram.every((bucket: { count: number }) => bucket.count >= 20)).toBe(true);
    expect(report.histogram.reduce((total: number, bucket: { count: number }) => total + bucket.count, 0)).toBe(report.population);
    // Per-person results stay with the provider.
    expect(JSON.stringify(expanded.body)).not.toMatch(/person/i);
    const members = async (n: ScoringTestNode) => withTenant(n.node.t.db, n.node.tenantId, (trx) => trx.selectFrom('scoring_lookalike_members').select('person_id').execute());
    expect(await members(provider)).toHaveLength(400);
    expect(await members(brand)).toHaveLength(0);
    expect((await brand.node.call('GET', `/v1/lookalikes/${expanded.body.id}`)).body.report).toEqual(report);
    // A lookalike model never releases per-person partial scores.
    const refused = await brand.node.call('POST', '/v1/scores', { speedModelId: modelId, segmentId: leadSegment });
    expect(refused.body.code).toBe('ACCORD_ERR_SCORING_NOT_ALLOWED');
  });
});

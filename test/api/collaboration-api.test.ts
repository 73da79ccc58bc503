import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRunnableCollaboration } from '../../core/collaborations/require-runnable-collaboration.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { createApiKey } from '../../core/tenancy/api-keys.ts';
import { ensureTenant } from '../../core/tenancy/tenants.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { storageBackends } from '../support/test-database.ts';
import { defineMatchingConsent, introduce, PURPOSE, RECIPIENT, startCollaborationNode, type CollaborationNode } from './collaboration-nodes.ts';

const inThirtyDays = () => new Date(Date.now() + 30 * 86_400_000).toISOString();

describe.each(storageBackends)('collaborations between two nodes on %s', (backend) => {
  let brand: CollaborationNode;
  let partner: CollaborationNode;
  let proxy: TcpProxy;
  /** The brand as the partner pinned it, and the partner as the brand pinned it (through a proxy the test can cut). */
  let brandOnPartner: string;

  const proposal = (overrides: Record<string, unknown> = {}) => ({
    name: 'Spring launch',
    parties: [
      { nodeId: brand.identity.nodeId, role: 'brand' },
      { nodeId: partner.identity.nodeId, role: 'partner' },
    ],
    purpose: PURPOSE,
    recipients: [RECIPIENT],
    outputs: { matchedToBrand: true, matchedToPartner: true },
    idTypes: ['email', 'phone'],
    expiresAt: inThirtyDays(),
    ...overrides,
  });

  const runnable = (node: CollaborationNode, id: string, at = new Date()) => withTenant(node.t.db, node.tenantId, (trx) => requireRunnableCollaboration(trx, id, at));

  /** Proposed and approved by the brand, imported by the partner. */
  async function proposedAndImported(brandConstraints: Record<string, unknown> = {}): Promise<string> {
    const created = await brand.call('POST', '/v1/collaborations', proposal());
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await brand.call('POST', `/v1/collaborations/${id}/approve`, { constraints: brandConstraints })).status).toBe(200);
    const imported = await partner.call('POST', '/v1/collaborations/import', { fromPeer: brandOnPartner, collaborationId: id });
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    return id;
  }

  beforeAll(async () => {
    brand = await startCollaborationNode(backend, 'Brand');
    partner = await startCollaborationNode(backend, 'Partner');
    proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(partner.url).port) });
    const viaProxy = { ...partner, url: `http://127.0.0.1:${proxy.port}` };
    brandOnPartner = (await introduce(brand, viaProxy)).aOnB;
    await defineMatchingConsent(brand.t, brand.tenantId);
    await defineMatchingConsent(partner.t, partner.tenantId);
  });
  afterAll(async () => {
    await proxy?.close();
    await brand?.close();
    await partner?.close();
  });

  it('is proposed, imported and approved by both parties; the strictest rules win on both nodes', async () => {
    const created = await brand.call('POST', '/v1/collaborations', proposal());
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body).toMatchObject({ status: 'proposed', terms: { minOverlap: 100, suite: 'ristretto255', outputs: { overlapCount: true }, parties: [{ publicKey: Buffer.from(brand.identity.publicKey).toString('base64') }, {}] } });
    await expect(runnable(brand, id)).rejects.toMatchObject({ code: 'ACCORD_ERR_COLLABORATION_NOT_APPROVED' });

    // The partner cannot take terms nobody signed yet.
    expect((await partner.call('POST', '/v1/collaborations/import', { fromPeer: brandOnPartner, collaborationId: id })).body).toMatchObject({ status: 422, code: 'ACCORD_ERR_COLLABORATION_SIGNATURE' });

    const approved = await brand.call('POST', `/v1/collaborations/${id}/approve`, { constraints: { runBudget: 50 } });
    expect(approved.body).toMatchObject({ status: 'proposed', approvals: [{ nodeId: brand.identity.nodeId }] });
    // The partner has not imported it yet: the approval waits, the state is kept.
    expect(approved.body.deliveries).toEqual([expect.objectContaining({ toNodeId: partner.identity.nodeId, kind: 'approval', status: 'pending', attempts: 1, lastError: expect.stringContaining('ACCORD_ERR_COLLABORATION_UNKNOWN') })]);

    const imported = await partner.call('POST', '/v1/collaborations/import', { fromPeer: brandOnPartner, collaborationId: id });
    expect(imported.status).toBe(201);
    expect(imported.body).toMatchObject({ id, status: 'proposed', termsHash: created.body.termsHash, originNodeId: brand.identity.nodeId, approvals: [{ nodeId: brand.identity.nodeId, constraints: { runBudget: 50 } }] });
    expect((await partner.call('POST', '/v1/collaborations/import', { fromPeer: brandOnPartner, collaborationId: id })).body).toMatchObject({ status: 409 });

    const partnerApproved = await partner.call('POST', `/v1/collaborations/${id}/approve`, { constraints: { minOverlap: 500, idTypes: ['phone'], outputs: { matchedToPartner: false } } });
    expect(partnerApproved.body).toMatchObject({ status: 'approved', deliveries: [{ toNodeId: brand.identity.nodeId, status: 'delivered' }] });

    const strictest = { minOverlap: 500, runBudget: 50, idTypes: ['phone'], outputs: { overlapCount: true, matchedToBrand: true, matchedToPartner: false, tagEnrichment: null } };
    for (const node of [brand, partner]) {
      const view = await node.call('GET', `/v1/collaborations/${id}`);
      expect(view.body, node.name).toMatchObject({ status: 'approved', effectiveTerms: strictest });
      expect(view.body.approvals, node.name).toHaveLength(2);
      const collaboration = await runnable(node, id);
      expect(collaboration.effective).toMatchObject(strictest);
    }

    // The brand's approval is still owed to the partner (who has it from the import); sync settles it.
    const synced = await brand.call('POST', `/v1/collaborations/${id}/sync`);
    expect(synced.body.collaboration.deliveries).toEqual([expect.objectContaining({ kind: 'approval', status: 'delivered' })]);
    expect(synced.body.pulled).toEqual([{ nodeId: partner.identity.nodeId, added: 0, error: null }]);
    expect((await brand.call('GET', '/v1/collaborations')).body.items.map((c: { id: string }) => c.id)).toContain(id);
  });

  it('is revoked by either party, the revocation reaches the other, and no run starts after it', async () => {
    const id = await proposedAndImported();
    await partner.call('POST', `/v1/collaborations/${id}/approve`);
    await runnable(brand, id);
    const revoked = await partner.call('POST', `/v1/collaborations/${id}/revoke`, { reason: 'campaign cancelled' });
    expect(revoked.body).toMatchObject({ status: 'revoked', deliveries: expect.arrayContaining([expect.objectContaining({ kind: 'revocation', status: 'delivered' })]) });
    expect((await brand.call('GET', `/v1/collaborations/${id}`)).body).toMatchObject({ status: 'revoked', revocations: [{ nodeId: partner.identity.nodeId, reason: 'campaign cancelled', revokedBy: `node:${partner.identity.nodeId}` }] });
    await expect(runnable(brand, id)).rejects.toMatchObject({ code: 'ACCORD_ERR_COLLABORATION_REVOKED' });
    await expect(runnable(partner, id)).rejects.toMatchObject({ code: 'ACCORD_ERR_COLLABORATION_REVOKED' });
    expect((await brand.call('POST', `/v1/collaborations/${id}/approve`)).body).toMatchObject({ status: 409, code: 'ACCORD_ERR_COLLABORATION_REVOKED' });
    expect((await partner.call('POST', `/v1/collaborations/${id}/revoke`, {})).body).toMatchObject({ status: 409, code: 'ACCORD_ERR_COLLABORATION_STATE' });
  });

  it('keeps a revocation that could not be delivered and delivers it on sync', async () => {
    const id = await proposedAndImported();
    await partner.call('POST', `/v1/collaborations/${id}/approve`);
    await proxy.cut();
    const revoked = await brand.call('POST', `/v1/collaborations/${id}/revoke`, { reason: 'paused' });
    expect(revoked.body).toMatchObject({ status: 'revoked' });
    expect(revoked.body.deliveries.find((d: { kind: string }) => d.kind === 'revocation')).toMatchObject({ status: 'pending', lastError: expect.stringContaining('failed') });
    expect((await partner.call('GET', `/v1/collaborations/${id}`)).body.status).toBe('approved');
    // The outbox job is queued in the same transaction as the revocation.
    const jobs = await withTenant(brand.t.db, brand.tenantId, (trx) => trx.selectFrom('jobs').select(['name', 'payload']).where('name', '=', 'collaborations.deliver').execute());
    expect(jobs.map((job) => (job.payload as { collaborationId: string }).collaborationId)).toContain(id);

    await proxy.restore();
    const synced = await brand.call('POST', `/v1/collaborations/${id}/sync`);
    expect(synced.body.collaboration.deliveries.find((d: { kind: string }) => d.kind === 'revocation')).toMatchObject({ status: 'delivered' });
    expect((await partner.call('GET', `/v1/collaborations/${id}`)).body.status).toBe('revoked');
  });

  it('refuses terms the consent ledger and the peer registry do not cover', async () => {
    expect((await brand.call('POST', '/v1/collaborations', proposal({ purpose: 'marketing.unknown' }))).body).toMatchObject({ status: 422, code: 'ACCORD_ERR_CONSENT_UNKNOWN_PURPOSE' });
    expect((await brand.call('POST', '/v1/collaborations', proposal({ recipients: ['kuaishou'] }))).body).toMatchObject({ status: 422, code: 'ACCORD_ERR_CONSENT_RECIPIENT', detail: expect.stringContaining('kuaishou') });
    expect((await brand.call('POST', '/v1/collaborations', proposal({ recipients: [] }))).body).toMatchObject({ status: 422, code: 'ACCORD_ERR_CONSENT_RECIPIENT' });
    const stranger = { nodeId: '33333333-3333-4333-8333-333333333333', role: 'provider' };
    expect((await brand.call('POST', '/v1/collaborations', proposal({ parties: [...proposal().parties, stranger] }))).body).toMatchObject({ status: 422, code: 'ACCORD_ERR_COLLABORATION_TERMS' });
    const twoBrands = proposal({ parties: [{ nodeId: brand.identity.nodeId, role: 'brand' }, { nodeId: partner.identity.nodeId, role: 'brand' }] });
    expect((await brand.call('POST', '/v1/collaborations', twoBrands)).body).toMatchObject({ status: 422, code: 'ACCORD_ERR_COLLABORATION_TERMS' });
    expect((await brand.call('POST', '/v1/collaborations', proposal({ expiresAt: new Date(Date.now() - 1000).toISOString() }))).body).toMatchObject({ status: 422, code: 'ACCORD_ERR_COLLABORATION_TERMS' });
    expect((await brand.call('POST', '/v1/collaborations', proposal({ idTypes: ['wechat_openid'] }))).body).toMatchObject({ status: 400, code: 'ACCORD_ERR_VALIDATION' });
  });

  it('refuses loosening constraints, unknown peers and collaborations, and a party whose ledger does not disclose the recipient', async () => {
    const id = (await brand.call('POST', '/v1/collaborations', proposal())).body.id as string;
    expect((await brand.call('POST', `/v1/collaborations/${id}/approve`, { constraints: { minOverlap: 10 } })).body).toMatchObject({ status: 422, code: 'ACCORD_ERR_COLLABORATION_CONSTRAINTS' });
    expect((await brand.call('POST', `/v1/collaborations/${id}/approve`, { constraints: { runBudget: 1000 } })).body).toMatchObject({ status: 422, code: 'ACCORD_ERR_COLLABORATION_CONSTRAINTS' });
    expect((await brand.call('GET', `/v1/collaborations/${id}`)).body.approvals).toEqual([]);
    expect((await partner.call('POST', '/v1/collaborations/import', { fromPeer: '44444444-4444-4444-8444-444444444444', collaborationId: id })).body).toMatchObject({ status: 404, code: 'ACCORD_ERR_NOT_FOUND' });
    expect((await brand.call('GET', '/v1/collaborations/55555555-5555-4555-8555-555555555555')).body).toMatchObject({ status: 404, code: 'ACCORD_ERR_COLLABORATION_UNKNOWN' });

    // Another tenant on the partner node pins the brand but never disclosed the recipient.
    const strict = await ensureTenant(partner.t.db, 'strict');
    const strictKey = (await createApiKey(partner.t.db, { tenantId: strict.id, name: 'admin', scopes: ['admin'] })).token;
    await defineMatchingConsent(partner.t, strict.id, ['someone-else']);
    const pinned = await partner.call('POST', '/v1/peers', { nodeId: brand.identity.nodeId, name: 'Brand', baseUrl: brand.url, publicKey: Buffer.from(brand.identity.publicKey).toString('base64') }, strictKey);
    const approvedId = await proposedAndImported();
    expect((await partner.call('POST', '/v1/collaborations/import', { fromPeer: pinned.body.id, collaborationId: approvedId }, strictKey)).status).toBe(201);
    expect((await partner.call('POST', `/v1/collaborations/${approvedId}/approve`, {}, strictKey)).body).toMatchObject({ status: 422, code: 'ACCORD_ERR_CONSENT_RECIPIENT' });
    // Tenants stay apart: the default tenant's key does not see the strict tenant's approval attempt, nor vice versa.
    expect((await partner.call('GET', `/v1/collaborations/${approvedId}`, undefined, strictKey)).body.approvals).toHaveLength(1);
  });

  it('needs the scopes', async () => {
    const reader = (await createApiKey(brand.t.db, { tenantId: brand.tenantId, name: 'reader', scopes: ['collaborations:read'] })).token;
    const writer = (await createApiKey(brand.t.db, { tenantId: brand.tenantId, name: 'writer', scopes: ['collaborations:write'] })).token;
    expect((await brand.call('POST', '/v1/collaborations', proposal(), reader)).body).toMatchObject({ status: 403 });
    const created = await brand.call('POST', '/v1/collaborations', proposal(), writer);
    expect(created.status).toBe(201);
    expect((await brand.call('POST', `/v1/collaborations/${created.body.id}/approve`, {}, writer)).body).toMatchObject({ status: 403, code: 'ACCORD_ERR_FORBIDDEN' });
    expect((await brand.call('GET', `/v1/collaborations/${created.body.id}`, undefined, reader)).status).toBe(200);
  });

  it('is not runnable once expired, by the earliest expiry any party set', async () => {
    const id = await proposedAndImported({ expiresAt: new Date(Date.now() + 7 * 86_400_000).toISOString() });
    await partner.call('POST', `/v1/collaborations/${id}/approve`);
    await runnable(brand, id);
    await expect(runnable(brand, id, new Date(Date.now() + 8 * 86_400_000))).rejects.toMatchObject({ code: 'ACCORD_ERR_COLLABORATION_EXPIRED' });
    await expect(runnable(partner, id, new Date(Date.now() + 8 * 86_400_000))).rejects.toMatchObject({ code: 'ACCORD_ERR_COLLABORATION_EXPIRED' });
    await expect(runnable(brand, '66666666-6666-4666-8666-666666666666')).rejects.toMatchObject({ code: 'ACCORD_ERR_COLLABORATION_UNKNOWN' });
  });
});

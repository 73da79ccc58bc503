/**
 * What the docs' examples refer to but do not make themselves, on the shared node, and the values
 * of their shell variables and placeholders. An example that needs something new binds it here.
 *
 * Tenants: `brand` (the API keys' tenant, first-party regime pipl; two members in 上海, a static
 * segment of them, a consent of `member-42`) and `acme` (the CLI examples', ccpa, with members
 * alice@ and bob@example.com in 上海). Consent: the purposes `marketing.sms` (notice `sms-terms`,
 * versions 1 and 2, zh-CN), `ads.personalised` and `ads.upload` (notice `ads`, for `google`), both
 * notices dated 2020 as old consents cite them, and `audience.matching` (for `ocean-engine`). Peers:
 * the partner node, each pinning the other, with a collaboration both approved (`$ID`).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { definePurpose } from '../../core/consent/purposes.ts';
import { ensureTenant } from '../../core/tenancy/tenants.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { defineMatchingConsent, type CollaborationNode } from '../api/collaboration-nodes.ts';
import { runAccordCli, type Bindings, type DocNode } from '../support/doc-examples.ts';
import { bearer, type TestApp } from '../support/test-app.ts';

export type Setup = Bindings;

export async function SETUP(node: DocNode, api: TestApp, partner: CollaborationNode): Promise<Setup> {
  const address = node.app.server.address();
  const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 8080}`;
  const admin = await api.keyFor('brand', ['admin']);
  const post = async (url: string, payload: object) => {
    const response = await node.app.inject({ method: 'POST', url, payload, headers: bearer(admin.token) });
    if (response.statusCode >= 300) throw new Error(`docs setup: POST ${url} → ${response.statusCode} ${response.body}`);
    return response.json() as Record<string, unknown>;
  };
  await defineMatchingConsent(node.t, admin.tenantId);
  await post('/v1/consent/purposes', { key: 'marketing.sms', name: 'Marketing texts', mechanism: 'opt_in', legalBasis: { pipl: 'consent', gdpr: 'consent' } });
  await post('/v1/consent/notices', { noticeKey: 'sms-terms', language: 'zh-CN', content: '营销短信', purposes: ['marketing.sms'] });
  const notice = await post('/v1/consent/notices', { noticeKey: 'sms-terms', language: 'zh-CN', content: '营销短信（第二版）', purposes: ['marketing.sms'] });
  // The brand and the partner node pin each other, and the partner takes part in collaborations too.
  await post('/v1/peers', { nodeId: partner.identity.nodeId, name: 'Partner', publicKey: Buffer.from(partner.identity.publicKey).toString('base64'), baseUrl: partner.url });
  const brandOnPartner = await partner.call('POST', '/v1/peers', { nodeId: api.identity.nodeId, name: 'Brand', publicKey: Buffer.from(api.identity.publicKey).toString('base64'), baseUrl: origin });
  await defineMatchingConsent(partner.t, partner.tenantId);
  // A collaboration every party approved, for the pages that run on one (psi.md).
  const collaboration = await post('/v1/collaborations', {
    name: 'Docs', purpose: 'audience.matching', recipients: ['ocean-engine'], idTypes: ['email'], outputs: { matchedToBrand: true }, expiresAt: '2030-12-31T00:00:00Z',
    parties: [{ nodeId: api.identity.nodeId, role: 'brand' }, { nodeId: partner.identity.nodeId, role: 'partner' }],
  });
  await post(`/v1/collaborations/${collaboration.id}/approve`, { constraints: {} });
  await partner.call('POST', '/v1/collaborations/import', { fromPeer: brandOnPartner.body.id, collaborationId: collaboration.id });
  const approved = await partner.call('POST', `/v1/collaborations/${collaboration.id}/approve`, { constraints: {} });
  if (approved.status !== 200) throw new Error(`docs setup: the partner's approval → ${approved.status} ${JSON.stringify(approved.body)}`);

  await post('/v1/ingest/members/batch', { records: [{ email: 'first@example.com', 'attr.city': '上海' }, { email: 'second@example.com', 'attr.city': '上海' }] });
  const segment = await post('/v1/segments', { kind: 'static', name: 'Shanghai', rule: { attribute: 'city', op: '=', value: '上海' } });
  const persons = await withTenant(node.t.db, admin.tenantId, (trx) => trx.selectFrom('persons').select('id').orderBy('id').limit(2).execute());
  for (const [purpose, requiresNamedRecipient] of [['ads.personalised', false], ['ads.upload', true]] as const) {
    await post('/v1/consent/purposes', { key: purpose, name: purpose, mechanism: 'opt_in', legalBasis: { pipl: 'consent', gdpr: 'consent', ccpa: 'opt_out' }, requiresNamedRecipient });
  }
  const adsNotice = await post('/v1/consent/notices', { noticeKey: 'ads', language: 'en', content: 'Ads', purposes: ['ads.personalised', 'ads.upload'], recipients: ['google'] });

  // Published long ago, as the notices that old consents from a CRM or a banner cite would have been.
  await sql`update consent_notices set created_at = '2020-01-01T00:00:00Z' where notice_key in ('sms-terms', 'ads')`.execute(node.t.db);

  const event = await post('/v1/consent/events', { clientEventId: 'docs-setup-1', subject: 'member-42', purpose: 'marketing.sms', regime: 'pipl', kind: 'given', noticeId: notice.id, channel: 'app', source: 'signup', collectedAt: new Date().toISOString() });

  const bindings: Bindings = { values: new Map(), captures: [], cliCaptures: [] };
  writeFileSync(join(node.dir, 'setup-acme-members.csv'), 'email,attr.city\nalice@example.com,上海\nbob@example.com,上海\n');
  for (const command of [['tenants', 'create', 'acme', '--regime', 'ccpa'], ['import', 'members', 'setup-acme-members.csv', '--tenant', 'acme']]) {
    const failure = await runAccordCli(command, node, bindings);
    if (failure) throw new Error(`docs setup: ${failure}`);
  }
  const acme = await ensureTenant(node.t.db, 'acme');
  await withTenant(node.t.db, acme.id, (trx) => definePurpose(trx, { key: 'marketing.sms', name: 'Marketing texts', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, retentionDays: null, sensitiveCategory: null, requiresNamedRecipient: false, crossBorder: false, publicDisclosure: false }));

  const values = new Map<string, string>([
    ['NODE', origin],
    ['BRAND', origin],
    ['KEY', admin.token],
    ['accord_…', admin.token],
    ['WRITE_KEY', (await api.keyFor('brand', ['consent:write'])).token],
    ['READ_KEY', (await api.keyFor('brand', ['consent:read'])).token],
    ['COLLECTOR_KEY', (await api.keyFor('brand', ['consent:write'])).token],
    ['TOKEN', (await api.keyFor('brand', ['psi:read'])).token],
    ['<brand node>', api.identity.nodeId],
    ['PARTNER', partner.url],
    ['PKEY', partner.token],
    ['ID', String(collaboration.id)],
    ['<partner node>', partner.identity.nodeId],
    ['<the brand peer id on the partner>', String(brandOnPartner.body.id)],
    ['<notice version id>', String(notice.id)],
    ['<notice version shown>', String(adsNotice.id)],
    ['<seq>', String(event.seq)],
    ['<segment id>', String((segment.segment as { id: number }).id)],
    ['<person id>', String(persons[0]!.id)],
    ['<another person id>', String(persons[1]!.id)],
  ]);
  return {
    values,
    captures: [
      { request: /^POST \/v1\/collaborations$/, binding: 'ID', field: 'id' },
      { request: /^POST \/v1\/privacy-requests$/, binding: 'ID', field: 'id' },
      { request: /^POST \/v1\/consent\/imports$/, binding: 'ID', field: 'id' },
      { request: /^POST \/v1\/psi\/runs$/, binding: 'RUN', field: 'id' },
      { request: /^POST \/v1\/ingest\/\w+\/files$/, binding: 'RUN', field: 'id' },
    ],
    cliCaptures: [
      { command: /^psi keygen\b/, binding: '<node id>', pattern: /node id\s+(\S+)/ },
      { command: /^psi keygen\b/, binding: '<public key>', pattern: /public key\s+(\S+)/ },
      { command: /^segments create .*--kind dynamic/, binding: '<segment id>', pattern: /segment (\d+)/ },
    ],
  };
}

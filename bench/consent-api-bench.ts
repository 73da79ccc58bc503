/**
 * `consent-api`: the point gate over HTTP. autocannon against POST /v1/consent/check on a real node
 * (API key auth, rate-limit bookkeeping, tenant-scoped transaction, ledger lookups) and against a
 * bare fastify route answering the same JSON, one after the other. Goal: ratio ≥ 0.5.
 */
import Fastify from 'fastify';
import { publishNotice } from '../core/consent/notices.ts';
import { definePurpose } from '../core/consent/purposes.ts';
import { recordConsentEvent } from '../core/consent/record-consent-event.ts';
import { withTenant } from '../core/db/tenant-scope.ts';
import { createApiKey } from '../core/tenancy/api-keys.ts';
import { ensureTenant } from '../core/tenancy/tenants.ts';
import { startBenchNode } from './bench-node.ts';
import type { Benchmark } from './benchmark.ts';
import { compareWithBare, httpBenchOptions } from './http-comparison.ts';
import { expectOk, measure, type LoadFigures, type LoadRequest, type LoadSettings } from './load.ts';

const question = { subject: 'member-00042', purpose: 'marketing.advertising.lookalike', recipient: 'media-partner', regime: 'pipl' };

async function measureAccord(settings: LoadSettings): Promise<LoadFigures & { database: string }> {
  const { node, close } = await startBenchNode({ rateLimitPerMinute: 100_000_000 });
  try {
    const { db } = node.database;
    const tenant = await ensureTenant(db, 'bench');
    await withTenant(db, tenant.id, async (trx) => {
      await definePurpose(trx, { key: question.purpose, name: 'Lookalike', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, retentionDays: 365, sensitiveCategory: null, requiresNamedRecipient: true, crossBorder: false, publicDisclosure: false });
      const notice = await publishNotice(trx, { noticeKey: 'n', language: 'zh-CN', content: '通知', purposes: [question.purpose], recipients: [question.recipient], dataCategories: ['phone'] });
      await recordConsentEvent(trx, { clientEventId: 'e1', subject: question.subject, purpose: question.purpose, recipient: question.recipient, regime: 'pipl', kind: 'given', noticeId: notice.id, channel: 'app', source: 'bench', collectedAt: new Date(Date.now() + 1_000) });
    });
    const { token } = await createApiKey(db, { tenantId: tenant.id, name: 'bench', scopes: ['consent:read'] });
    const request: LoadRequest = { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(question) };
    await expectOk(`${node.url}/v1/consent/check`, request);
    return { ...(await measure(`${node.url}/v1/consent/check`, settings, request)), database: node.database.target.kind };
  } finally {
    await close();
  }
}

async function measureBare(settings: LoadSettings): Promise<LoadFigures> {
  const app = Fastify({ logger: false });
  app.post('/v1/consent/check', async () => ({ allowed: true, reason: 'granted', decidedBySeq: 1 }));
  try {
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const request: LoadRequest = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(question) };
    await expectOk(`${url}/v1/consent/check`, request);
    return await measure(`${url}/v1/consent/check`, settings, request);
  } finally {
    await app.close();
  }
}

export const consentApiBenchmark: Benchmark = {
  name: 'consent-api',
  describe: 'POST /v1/consent/check on a real node vs a bare fastify route (autocannon)',
  options: httpBenchOptions,
  run: (options, progress) =>
    compareWithBare(
      'consent-api',
      { endpoint: 'POST /v1/consent/check', measureAccord, measureBare, accordLabel: (accord) => `accord (${accord.database})` },
      options,
      progress,
    ),
};

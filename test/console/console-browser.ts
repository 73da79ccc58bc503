/**
 * What the console's browser tests share: a fresh build of the console, a node serving it on a
 * real port over a test database, seeded tenants and keys, and Debian's Chromium driven by
 * playwright-core. Without /usr/bin/chromium the tests skip, unless ACCORD_TEST_SERVICES=required
 * (CI), where a missing browser fails the run.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { expect } from 'vitest';
import type { Scope } from '../../core/tenancy/scopes.ts';
import { startIngestRunner } from '../support/ingest-jobs.ts';
import { bearer, startTestApp, TEST_APP_MASTER_KEY, type TestApp } from '../support/test-app.ts';
import { openTestDatabase, type StorageBackend, type TestDatabase } from '../support/test-database.ts';

export const CHROMIUM = '/usr/bin/chromium';
const required = process.env.ACCORD_TEST_SERVICES === 'required';
export const chromiumPresent = existsSync(CHROMIUM);
if (!chromiumPresent && required) throw new Error(`ACCORD_TEST_SERVICES=required but ${CHROMIUM} is missing: apt-get install -y chromium`);
if (!chromiumPresent) console.warn(`console browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

export const SCREENSHOTS = fileURLToPath(new URL('../../.tmp/console-screenshots/', import.meta.url));

export const MARKETING = 'marketing.email';
export const ANALYTICS = 'analytics.basic';

export interface ConsoleNode {
  t: TestDatabase;
  api: TestApp;
  url: string;
  browser: Browser;
  tenantId: string;
  keys: { admin: string; officer: string; marketer: string; collector: string };
  noticeId: string;
  close(): Promise<void>;
}

/** Builds the console into a folder of its own (test files run in parallel), starts a node serving it, seeds a tenant and opens Chromium. */
export async function startConsoleNode(backend: StorageBackend): Promise<ConsoleNode> {
  const outDir = await mkdtemp(join(tmpdir(), 'accord-console-'));
  await build({ configFile: fileURLToPath(new URL('../../console/vite.config.ts', import.meta.url)), build: { outDir, emptyOutDir: true }, logLevel: 'error' });
  const t = await openTestDatabase(backend);
  const api = await startTestApp(t, { consoleRoot: outDir });
  const address = await api.app.listen({ port: 0, host: '127.0.0.1' });
  // Uploads answer 202 and ingest as a job: the node's ingest worker runs beside it.
  const ingest = await startIngestRunner('in-process', t, TEST_APP_MASTER_KEY);
  const key = async (scopes: Scope[]) => (await api.keyFor('brand', scopes)).token;
  const admin = await api.keyFor('brand', ['admin']);
  const keys = {
    admin: admin.token,
    officer: await key(['consent:read', 'consent:write', 'privacy:admin', 'records:read', 'audit:read', 'jobs:read', 'collaborations:read', 'collaborations:approve']),
    marketer: await key(['segments:read', 'segments:write', 'psi:read', 'psi:run', 'data:write', 'data:read', 'tags:read', 'jobs:read', 'collaborations:read']),
    collector: await key(['consent:write', 'consent:read']),
  };
  const noticeId = await seedConsent(api, keys.admin);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    t,
    api,
    url: address,
    browser,
    tenantId: admin.tenantId,
    keys,
    noticeId,
    async close() {
      await browser.close();
      await ingest.stop();
      await api.app.close();
      await t.dispose();
      await rm(outDir, { recursive: true, force: true });
    },
  };
}

export async function call(api: TestApp, token: string, method: 'GET' | 'POST', url: string, payload?: object) {
  const response = await api.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });
  if (response.statusCode >= 300) throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`);
  return response.json();
}

let eventCounter = 0;
/** Records one consent event for a subject, as a collection point would. */
export async function recordEvent(api: TestApp, token: string, subject: string, fields: Record<string, unknown>) {
  return call(api, token, 'POST', '/v1/consent/events', {
    clientEventId: `seed-${++eventCounter}`, subject, purpose: MARKETING, regime: 'pipl', kind: 'given', channel: 'app', source: 'signup',
    collectedAt: new Date(Date.now() + eventCounter).toISOString(), ...fields,
  });
}

/** Two purposes, a notice in both languages citing them, and a member who agreed and then withdrew analytics. */
async function seedConsent(api: TestApp, admin: string): Promise<string> {
  await call(api, admin, 'POST', '/v1/consent/purposes', { key: MARKETING, name: 'Email offers / 邮件优惠', mechanism: 'opt_in', legalBasis: { pipl: 'consent' } });
  await call(api, admin, 'POST', '/v1/consent/purposes', { key: ANALYTICS, name: 'Usage analytics / 使用分析', mechanism: 'opt_in', legalBasis: { pipl: 'consent' } });
  const notice = await call(api, admin, 'POST', '/v1/consent/notices', { noticeKey: 'privacy', language: 'zh-CN', content: '我们会向您发送邮件优惠。', purposes: [MARKETING, ANALYTICS] });
  await recordEvent(api, admin, 'member-1001', { noticeId: notice.id, evidence: { formVersion: 'signup-v3', ipHash: 'sha256:ab12' } });
  await recordEvent(api, admin, 'member-1001', { purpose: ANALYTICS, noticeId: notice.id });
  await recordEvent(api, admin, 'member-1001', { purpose: ANALYTICS, kind: 'withdrawn', channel: 'web', source: 'settings' });
  return notice.id;
}

/** A fresh browser context (its own cookies) with a page; console errors (a CSP violation among them) fail the test. */
export async function newPage(node: ConsoleNode, viewport = { width: 1280, height: 800 }): Promise<{ page: Page; problems: string[] }> {
  const context = await node.browser.newContext({ viewport });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    // A refused API call (401/403 the test provokes on purpose) is logged by the browser as a failed resource.
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return { page, problems };
}

export async function signIn(node: ConsoleNode, page: Page, key: string, role?: string) {
  await page.goto(`${node.url}/console/`);
  await page.getByLabel(/API key|API 密钥/).fill(key);
  if (role) await page.getByLabel(/Role|角色/).selectOption(role);
  await page.getByRole('button', { name: /Sign in|登录/ }).click();
  await expect.poll(() => page.getByRole('button', { name: /Sign out|退出/ }).count()).toBe(1);
}

export async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

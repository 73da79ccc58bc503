import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeyPair } from '../../crypto/ed25519.ts';
import { storageBackends } from '../support/test-database.ts';
import { call, chromiumPresent, newPage, recordEvent, screenshot, signIn, startConsoleNode, type ConsoleNode } from './console-browser.ts';

describe.skipIf(!chromiumPresent).each(storageBackends)('console: roles, CSRF, privacy requests and charts on %s', (backend) => {
  let node: ConsoleNode;
  beforeAll(async () => {
    node = await startConsoleNode(backend);
  });
  afterAll(async () => node?.close());

  it('shows a marketer no privacy-request pages, and the API refuses the marketer\'s session their data', async () => {
    const { page, problems } = await newPage(node);
    await signIn(node, page, node.keys.marketer);
    const nav = await page.getByRole('navigation', { name: 'pages' }).innerText();
    expect(nav).toContain('Segments');
    expect(nav).not.toContain('Privacy requests');

    await page.goto(`${node.url}/console/#/requests`);
    await expect.poll(() => page.getByRole('alert').innerText()).toBe('Your role may not see this page.');
    expect(await page.content()).not.toContain('member-');
    // The page hiding it is not the protection: the session itself lacks the scope.
    const refused = await page.evaluate(async () => (await fetch('/v1/privacy-requests')).status);
    expect(refused).toBe(403);
    expect(problems).toEqual([]);
  });

  it('an admin key signed in as marketer gets a marketer\'s scopes only', async () => {
    const { page } = await newPage(node);
    await signIn(node, page, node.keys.admin, 'marketer');
    expect(await page.locator('.who').getAttribute('data-role')).toBe('marketer');
    expect(await page.evaluate(async () => (await fetch('/v1/privacy-requests')).status)).toBe(403);
  });

  it('refuses a state-changing request from a session without its CSRF token, and ends the session at sign-out', async () => {
    const { page } = await newPage(node);
    await signIn(node, page, node.keys.officer);
    const body = JSON.stringify({ kind: 'access', regime: 'pipl', subject: 'member-csrf' });
    const without = await page.evaluate(async (body) => {
      const response = await fetch('/v1/privacy-requests', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return { status: response.status, code: (await response.json()).code };
    }, body);
    expect(without).toEqual({ status: 403, code: 'ACCORD_ERR_CSRF' });
    const wrong = await page.evaluate(async (body) => (await fetch('/v1/privacy-requests', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': 'forged' }, body })).status, body);
    expect(wrong).toBe(403);
    const withToken = await page.evaluate(async (body) => {
      const { csrfToken } = await (await fetch('/v1/console/session')).json();
      return (await fetch('/v1/privacy-requests', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken }, body })).status;
    }, body);
    expect(withToken).toBe(201);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Sign in' }).count()).toBe(1);
    expect(await page.evaluate(async () => (await fetch('/v1/privacy-requests')).status)).toBe(401);
  });

  it('a privacy officer logs an erasure, verifies the identity, erases after confirming, and sees each store\'s removal', async () => {
    await recordEvent(node.api, node.keys.collector, 'member-2002', { noticeId: node.noticeId });
    const { page, problems } = await newPage(node);
    await signIn(node, page, node.keys.officer);
    await page.getByRole('link', { name: 'Privacy requests' }).click();
    const form = page.getByRole('form', { name: 'Log a request' });
    await form.getByLabel('Kind').selectOption('erasure');
    await form.getByLabel('Subject').fill('member-2002');
    await form.getByRole('button', { name: 'Create' }).click();
    const detail = page.locator('section.detail');
    await expect.poll(() => detail.getAttribute('data-status')).toBe('received');
    await detail.getByRole('button', { name: 'Move to verifying' }).click();
    await expect.poll(() => detail.getAttribute('data-status')).toBe('verifying');
    await detail.getByLabel('Reference').fill('otp-7731');
    await detail.getByRole('button', { name: 'Move to in_progress' }).click();
    await expect.poll(() => detail.getAttribute('data-status')).toBe('in_progress');

    let asked = '';
    page.once('dialog', (dialog) => {
      asked = dialog.message();
      void dialog.accept();
    });
    await detail.getByRole('button', { name: 'Erase this person' }).click();
    await expect.poll(() => detail.getAttribute('data-status')).toBe('completed');
    expect(asked).toContain('cannot be undone');
    // A subject known only to the consent ledger resolves to no person, so no derived store held them.
    expect(await detail.locator('table.removals').innerText()).toContain('No derived store');
    expect(await detail.locator('ol').innerText()).toContain('erasure_performed');
    await screenshot(page, `privacy-request-${backend}`);

    const check = await call(node.api, node.keys.collector, 'POST', '/v1/consent/check', { subject: 'member-2002', purpose: 'marketing.email', regime: 'pipl' });
    expect(check.allowed).toBe(false);
    expect(problems).toEqual([]);
  });

  it('draws consent rates per purpose and channel as a chart', async () => {
    const { page, problems } = await newPage(node);
    await signIn(node, page, node.keys.officer);
    await page.getByRole('link', { name: 'Consent rates' }).click();
    const chart = page.getByRole('img', { name: 'Consent rate per purpose and channel' });
    await expect.poll(() => chart.locator('canvas').count()).toBe(1);
    const table = await page.locator('figure').first().locator('table').textContent();
    expect(table).toMatch(/marketing\.email · app/);
    await screenshot(page, `consent-rates-${backend}`);
    expect(problems).toEqual([]);
  });

  it('shows a collaboration\'s terms, each party\'s constraints, the strictest result and its budget, then revokes it after confirming', async () => {
    const partner = await call(node.api, node.keys.admin, 'POST', '/v1/peers', { nodeId: randomUUID(), name: 'Media partner', publicKey: Buffer.from(generateSigningKeyPair().publicKey).toString('base64') });
    await call(node.api, node.keys.admin, 'POST', '/v1/consent/purposes', { key: 'audience.matching', name: 'Audience matching', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, requiresNamedRecipient: true });
    await call(node.api, node.keys.admin, 'POST', '/v1/consent/notices', { noticeKey: 'matching', language: 'zh-CN', content: '匹配通知', purposes: ['audience.matching'], recipients: ['ocean-engine'] });
    const created = await call(node.api, node.keys.admin, 'POST', '/v1/collaborations', {
      name: 'Spring launch',
      parties: [{ nodeId: node.api.identity.nodeId, role: 'brand' }, { nodeId: partner.nodeId, role: 'partner' }],
      purpose: 'audience.matching', recipients: ['ocean-engine'], outputs: { matchedToBrand: true, matchedToPartner: false }, idTypes: ['phone'],
      expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    });
    const { page, problems } = await newPage(node);
    await signIn(node, page, node.keys.officer);
    await page.getByRole('link', { name: 'Collaborations' }).click();
    await page.getByRole('row', { name: /Spring launch/ }).getByRole('button', { name: 'Show' }).click();
    const detail = page.locator('section.detail');
    await expect.poll(() => detail.getAttribute('data-status')).toBe('proposed');
    await expect.poll(() => detail.locator('.budget').innerText()).toMatch(/runs: 0 \/ \d+/);
    expect(await detail.locator('.budget').innerText()).toMatch(/ε: 0 \/ [\d.]+/);

    await detail.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => detail.getByText('Constraints each party set').locator('xpath=following-sibling::ul[1]').innerText()).toContain('{}');
    expect(await detail.locator('pre').nth(1).innerText()).toContain('Spring launch');
    await screenshot(page, `collaboration-${backend}`);

    let asked = '';
    page.once('dialog', (dialog) => {
      asked = dialog.message();
      void dialog.accept();
    });
    await detail.getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => detail.getAttribute('data-status')).toBe('revoked');
    expect(asked).toContain('No party may run anything under it');
    expect((await call(node.api, node.keys.officer, 'GET', `/v1/collaborations/${created.id}`)).status).toBe('revoked');
    expect(problems).toEqual([]);
  });
});

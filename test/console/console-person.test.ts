import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageBackends } from '../support/test-database.ts';
import { call, chromiumPresent, newPage, recordEvent, screenshot, signIn, startConsoleNode, type ConsoleNode } from './console-browser.ts';

describe.skipIf(!chromiumPresent).each(storageBackends)('console: sign-in and a person\'s consent on %s', (backend) => {
  let node: ConsoleNode;
  beforeAll(async () => {
    node = await startConsoleNode(backend);
  });
  afterAll(async () => node?.close());

  it('a privacy officer signs in, finds a person, reads their timeline and verifies it against signed checkpoints', async () => {
    const { page, problems } = await newPage(node);
    await signIn(node, page, node.keys.officer);
    await expect.poll(() => page.locator('.who').getAttribute('data-role')).toBe('privacy_officer');
    expect(await page.evaluate(() => document.cookie)).not.toContain('accord_session');

    await page.getByLabel('Identifier', { exact: true }).fill('member-1001');
    await page.getByRole('button', { name: 'Find' }).click();
    const events = page.locator('.timeline li');
    await expect.poll(() => events.count()).toBe(3);
    expect(await events.nth(0).innerText()).toMatch(/given · marketing\.email/);
    // The notice version by name once GET /v1/consent/notices/{id} exists (branch h-apix), its id until then.
    expect(await events.nth(0).innerText()).toMatch(new RegExp(`${node.noticeId}|privacy v1 \\(zh-CN\\)`));
    expect(await events.nth(0).innerText()).toContain('signup-v3');
    expect(await events.nth(2).innerText()).toMatch(/withdrawn · analytics\.basic/);
    expect(await page.locator('table.state').innerText()).toMatch(/analytics\.basic.*no/);

    await page.getByRole('button', { name: 'Verify against signed checkpoints' }).click();
    await expect.poll(() => page.locator('[data-verified]').getAttribute('data-verified')).toBe('true');
    const receipt = JSON.parse(await page.locator('pre.receipt').innerText());
    expect(receipt).toMatchObject({ iss: node.api.identity.nodeId, consentReceiptID: `${node.tenantId}:${receipt.consentReceiptID.split(':')[1]}` });
    await screenshot(page, `person-timeline-${backend}`);
    expect(problems).toEqual([]);
  });

  it('shows markup in purpose names and evidence as text, in the console and in the preference centre', async () => {
    const attack = '<img src=x onerror="window.__xss=1">';
    await call(node.api, node.keys.admin, 'POST', '/v1/consent/purposes', { key: 'marketing.sms', name: `${attack}Texts`, mechanism: 'opt_in', legalBasis: { pipl: 'consent' } });
    const notice = await call(node.api, node.keys.admin, 'POST', '/v1/consent/notices', { noticeKey: 'sms', language: 'en', content: `${attack} notice`, purposes: ['marketing.sms'] });
    await recordEvent(node.api, node.keys.admin, 'member-xss', { purpose: 'marketing.sms', noticeId: notice.id, evidence: { note: '<script>window.__xss=2</script>' } });

    const { page } = await newPage(node);
    await signIn(node, page, node.keys.officer);
    await page.getByLabel('Identifier', { exact: true }).fill('member-xss');
    await page.getByRole('button', { name: 'Find' }).click();
    await expect.poll(() => page.locator('.timeline').innerText()).toContain('<script>window.__xss=2</script>');
    expect(await page.locator('main img, main script').count()).toBe(0);

    const { token } = await call(node.api, node.keys.collector, 'POST', '/v1/consent/collection-tokens', { subject: 'member-xss', ttlSeconds: 600 });
    const centre = (await newPage(node, { width: 375, height: 740 })).page;
    await centre.goto(`${node.url}/preferences?lang=en#token=${token}`);
    await expect.poll(() => centre.locator('[data-purpose="marketing.sms"]').innerText()).toContain(`${attack}Texts`);
    expect(await centre.locator('main img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await centre.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  });
});

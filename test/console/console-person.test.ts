import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageBackends } from '../support/test-database.ts';
import { chromiumPresent, newPage, screenshot, signIn, startConsoleNode, type ConsoleNode } from './console-browser.ts';

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

    await page.getByLabel('Identifier (subject reference)').fill('member-1001');
    await page.getByRole('button', { name: 'Find' }).click();
    const events = page.locator('.timeline li');
    await expect.poll(() => events.count()).toBe(3);
    expect(await events.nth(0).innerText()).toMatch(/given · marketing\.email/);
    expect(await events.nth(0).innerText()).toContain(node.noticeId);
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
});

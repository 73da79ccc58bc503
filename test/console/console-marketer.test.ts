import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageBackends } from '../support/test-database.ts';
import { chromiumPresent, newPage, screenshot, signIn, startConsoleNode, type ConsoleNode } from './console-browser.ts';

describe.skipIf(!chromiumPresent).each(storageBackends)('console: a marketer\'s uploads and segments on %s', (backend) => {
  let node: ConsoleNode;
  beforeAll(async () => {
    node = await startConsoleNode(backend);
  });
  afterAll(async () => node?.close());

  it('uploads a members file, sees the rows applied and the rejected rows\' errors, and estimates a rule', async () => {
    const file = join(tmpdir(), `members-${backend}-${process.pid}.csv`);
    await writeFile(file, ['email,phone,attr.city', 'a@example.com,13800138000,上海', 'b@example.com,13800138001,上海', 'c@example.com,12,北京'].join('\n'));
    const { page, problems } = await newPage(node);
    await signIn(node, page, node.keys.marketer);
    await page.getByRole('link', { name: 'Segments' }).click();
    const upload = page.getByRole('region', { name: 'Uploads' });
    await upload.getByLabel('File').setInputFiles(file);
    await upload.getByRole('button', { name: 'Upload' }).click();
    await expect.poll(() => upload.locator('.run').getAttribute('data-status')).toBe('completed');
    expect(await upload.locator('.run').innerText()).toContain('3 rows read, 2 applied, 1 rejected');
    expect(await upload.locator('table.issues').innerText()).toMatch(/4\s+phone\s+phone_invalid/);

    await page.getByRole('form', { name: 'estimate' }).getByRole('button', { name: 'Estimate size' }).click();
    // Members brought by a file have not consented to profiling under PIPL: the gate counts none.
    await expect.poll(() => page.locator('output').innerText()).toMatch(/^\d+ members$/);
    await screenshot(page, `segments-${backend}`);
    expect(problems).toEqual([]);
  });
});

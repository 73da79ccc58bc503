import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageBackends } from '../support/test-database.ts';
import { ANALYTICS, call, chromiumPresent, MARKETING, newPage, screenshot, startConsoleNode, type ConsoleNode } from './console-browser.ts';

describe.skipIf(!chromiumPresent).each(storageBackends)('preference centre on %s', (backend) => {
  let node: ConsoleNode;
  beforeAll(async () => {
    node = await startConsoleNode(backend);
  });
  afterAll(async () => node?.close());

  const linkFor = async (subject: string, language: string) => {
    const { token } = await call(node.api, node.keys.collector, 'POST', '/v1/consent/collection-tokens', { subject, ttlSeconds: 600 });
    return `${node.url}/preferences?lang=${language}#token=${token}`;
  };
  const check = (subject: string, purpose: string) => call(node.api, node.keys.collector, 'POST', '/v1/consent/check', { subject, purpose, regime: 'pipl' });
  const ledger = async (subject: string) => (await call(node.api, node.keys.collector, 'GET', `/v1/consent/history?subject=${subject}`)).events as { kind: string; purpose: string; source: string; evidence: Record<string, string> }[];

  for (const [language, texts] of [
    ['zh-CN', { title: '您的隐私选择', agreed: '已同意', notAgreed: '未同意', saved: '已保存。' }],
    ['en', { title: 'Your privacy choices', agreed: 'Agreed', notAgreed: 'Not agreed', saved: 'Saved.' }],
  ] as const) {
    it(`a person withdraws in ${language} at phone width, the ledger records it and the gate refuses at once`, async () => {
      const subject = `member-pc-${language}`;
      await call(node.api, node.keys.collector, 'POST', '/v1/consent/events', {
        clientEventId: `pc-${language}`, subject, purpose: MARKETING, regime: 'pipl', kind: 'given', noticeId: node.noticeId, channel: 'app', source: 'signup', collectedAt: new Date().toISOString(),
      });
      expect((await check(subject, MARKETING)).allowed).toBe(true);

      const { page, problems } = await newPage(node, { width: 375, height: 740 });
      await page.goto(await linkFor(subject, language));
      await expect.poll(() => page.getByRole('heading', { level: 1 }).innerText()).toBe(texts.title);
      expect(await page.evaluate(() => document.documentElement.lang)).toBe(language);
      const marketing = page.locator(`[data-purpose="${MARKETING}"]`);
      expect(await marketing.innerText()).toContain(texts.agreed);
      expect(await page.locator(`[data-purpose="${ANALYTICS}"]`).innerText()).toContain(texts.notAgreed);

      await marketing.getByRole('switch').uncheck();
      await expect.poll(() => page.getByRole('status').innerText()).toBe(texts.saved);
      await expect.poll(() => marketing.innerText()).toContain(texts.notAgreed);
      expect((await check(subject, MARKETING)).allowed).toBe(false);
      const newest = (await ledger(subject)).at(-1)!;
      expect(newest).toMatchObject({ kind: 'withdrawn', purpose: MARKETING, source: 'preference-centre', evidence: { language } });

      await page.locator('[data-channel="sms"]').getByRole('switch').uncheck();
      await expect.poll(async () => (await call(node.api, node.keys.collector, 'GET', `/v1/consent/preferences/${subject}`)).preferences.channels.sms).toBe('opt_out');
      await screenshot(page, `preference-centre-${language}-${backend}`);
      expect(problems).toEqual([]);
    });
  }

  it('refuses a forged or altered link, saying only that it is not valid', async () => {
    const good = await linkFor('member-1001', 'en');
    const [base, token] = good.split('#token=');
    const [header, payload, signature] = token!.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'member-2002' })).toString('base64url')}.${signature}`;
    for (const link of [`${base}#token=${forged}`, `${base}#token=`, `${base}`]) {
      const { page } = await newPage(node, { width: 375, height: 740 });
      await page.goto(link);
      await expect.poll(() => page.getByRole('alert').innerText()).toBe('This link is not valid or has expired. Ask for a new one.');
      expect(await page.content()).not.toContain('member-');
    }
  });
});

import { describe, expect, it } from 'vitest';
import { runAccord } from '../support/accord-process.ts';

describe('accord demo', () => {
  it('starts a brand and a media partner node, introduces them, stops both and exits 0', async () => {
    const result = await runAccord(['demo', '--members', '2000', '--partner-users', '5000'], { LOG_LEVEL: 'warn' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/started Brand \(demo\) at http:\/\/127\.0\.0\.1:\d+/);
    expect(result.stdout).toMatch(/started Media partner \(demo\) at http:\/\/127\.0\.0\.1:\d+/);
    expect(result.stdout).toMatch(/Brand \(demo\) pinned Media partner \(demo\) \(node [0-9a-f-]{36}/);
    expect(result.stdout).toMatch(/Media partner \(demo\) pinned Brand \(demo\)/);
    expect(result.stdout).toContain('recorded consents of 200 members: 176 granted, 4 minors through a guardian, 20 refused, 20 later withdrew lookalike');
    expect(result.stdout).toContain('gate marketing.advertising.lookalike → Media partner (demo): 160 of 200 members allowed');
    expect(result.stdout).toContain('gate marketing.sms: 180 of 200 members allowed');
    expect(result.stdout).toMatch(/signed checkpoint of the consent log: 420 events, root [0-9a-f]{16}…/);
    expect(result.stdout).toContain('consent log verifies: true (420 events hash-chained, 1 signed checkpoint matches)');
    // 2,000 members plus 61 repeat rows of the same people through another channel.
    expect(result.stdout).toContain('members file: 2,061 rows → 2,000 persons after one-ID (2,061 applied, completed)');
    // 24 in 25 members bring their registration consent to member analytics; under PIPL only they are profiled.
    expect(result.stdout).toContain('registration consents came with the rows: 1,920 of 2,000 members may be profiled (analytics.profiling, PIPL)');
    expect(result.stdout).toMatch(/orders file: [\d,]+ orders attached to their members \(0 refused, completed\)/);
    expect(result.stdout).toMatch(/computed RFM for [\d,]+, lifecycle stage for 1,920 and CLV for [\d,]+ persons/);
    expect(result.stdout).toMatch(/segment "Shanghai members, loyal or sleeping": [\d,]+ members/);
    expect(result.stdout).toMatch(/segment "birthday this month, bought in the last year": [\d,]+ members/);
    // Every portrait cell counts at least 10 people, or the portrait is withheld.
    const portraits = result.stdout.split('\n').filter((l) => l.includes('portrait (no cell under 10)'));
    expect(portraits.length).toBeGreaterThan(0);
    for (const line of portraits) {
      for (const count of line.matchAll(/ (\d[\d,]*)(?=[,;]|$)/g)) expect(Number(count[1]!.replaceAll(',', ''))).toBeGreaterThanOrEqual(10);
    }
    expect(result.stdout).toContain('brand: 1,700 of 2,000 members gave separate consent to matching with Media partner (demo)');
    expect(result.stdout).toMatch(/partner: 5,000 platform users ingested in [\d.]+ s \(600 of them are brand members\)/);
    // 600 brand members are platform users; those who consented (and only they) are counted, by the
    // partner, which releases the count with noise: 520 give or take a few.
    const overlap = /overlap count in [\d.]+ s: ([\d,]+) people, counted and released by the partner/.exec(result.stdout);
    expect(overlap).not.toBeNull();
    expect(Math.abs(Number(overlap![1]!.replaceAll(',', '')) - 520)).toBeLessThanOrEqual(30);
    expect(result.stdout).toContain('guarantees: discrete Laplace noise drawn by the partner, ε 1 per run; privacy budget ε 1 of 10 spent, 9 left');
    expect(result.stdout).toMatch(/matched audience in [\d.]+ s: 520 brand members stored for activation \(released by the guard\)/);
    expect(result.stdout).toMatch(/the same audience again in [\d.]+ s from the partner's cached blinded set: 520 members/);
    expect(result.stdout).toContain('privacy budget ε 2 of 10 spent, 8 left');
    expect(result.stdout.trim().split('\n').at(-1)).toBe('stopped 2 node(s)');
  }, 300_000);
});

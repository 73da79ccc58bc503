import { describe, expect, it } from 'vitest';
import { runAccord } from '../support/accord-process.ts';

describe('accord demo', () => {
  it('starts a brand and a media partner node, introduces them, stops both and exits 0', async () => {
    const result = await runAccord(['demo'], { LOG_LEVEL: 'warn' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/started Brand \(demo\) at http:\/\/127\.0\.0\.1:\d+/);
    expect(result.stdout).toMatch(/started Media partner \(demo\) at http:\/\/127\.0\.0\.1:\d+/);
    expect(result.stdout).toMatch(/Brand \(demo\) pinned Media partner \(demo\) \(node [0-9a-f-]{36}/);
    expect(result.stdout).toMatch(/Media partner \(demo\) pinned Brand \(demo\)/);
    expect(result.stdout.trim().split('\n').at(-1)).toBe('stopped 2 node(s)');
  });
});

/** sendMembers against a scripted platform: waits as asked, splits to isolate rows, never exceeds the batch limit. */
import { describe, expect, it } from 'vitest';
import { ActivationError } from '../../core/activation/activation-errors.ts';
import type { AudienceConnector, MembershipBatch } from '../../core/activation/audience-connector.ts';
import type { PreparedMember } from '../../core/activation/identifier-profile.ts';
import { sendMembers, type Call } from '../../core/activation/send-batch.ts';

const connector = (badRows: AudienceConnector['capabilities']['badRows'], maxMembersPerBatch = 100) =>
  ({ capabilities: { transport: 'rows', removal: 'rows', maxMembersPerBatch, idTypesPerAudience: 'many', createNeedsMembers: false, badRows, tokenRefresh: false } }) as unknown as AudienceConnector;
const members = (n: number): PreparedMember[] => Array.from({ length: n }, (_, i) => ({ key: String(i + 1), ids: [{ type: 'EMAIL', value: `${i}`, prehashed: false }] }));
const throttled = (retryAfterMs?: number) => new ActivationError('ACCORD_ERR_PLATFORM_THROTTLED', 'slow down', { platform: 'test', retryAfterMs });

describe('sendMembers', () => {
  it('waits as long as the platform asked (Retry-After), then sends', async () => {
    const waits: number[] = [];
    let calls = 0;
    const call: Call = async (batch) => {
      if (++calls === 1) throw throttled(1_234);
      return { accepted: batch.members.length, rejected: [], receipts: [] };
    };
    const result = await sendMembers(connector('per_row'), call, 'add', members(5), 's', { attempts: 3, maxWaitMs: 5_000, baseBackoffMs: 10, sleep: async (ms) => void waits.push(ms) });
    expect(waits).toEqual([1_234]);
    expect(result).toMatchObject({ requests: 2, rejected: [] });
    expect(result.accepted).toHaveLength(5);
  });

  it('backs off exponentially without a stated wait, and gives up to the job runner past the attempts or a longer wait', async () => {
    const waits: number[] = [];
    const policy = { attempts: 3, maxWaitMs: 5_000, baseBackoffMs: 10, sleep: async (ms: number) => void waits.push(ms) };
    await expect(sendMembers(connector('per_row'), async () => Promise.reject(throttled()), 'add', members(2), 's', policy)).rejects.toMatchObject({ code: 'ACCORD_ERR_PLATFORM_THROTTLED' });
    expect(waits).toEqual([10, 20]);
    await expect(sendMembers(connector('per_row'), async () => Promise.reject(throttled(60_000)), 'add', members(2), 's', policy)).rejects.toMatchObject({ retryAfterMs: 60_000 });
  });

  it('splits batches at the platform limit and isolates a bad row the platform does not name', async () => {
    const sizes: number[] = [];
    const call: Call = async (batch: MembershipBatch) => {
      sizes.push(batch.members.length);
      if (batch.members.some((m) => m.key === '7')) throw new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', 'bad request', { platform: 'test' });
      return { accepted: batch.members.length, rejected: [], receipts: [] };
    };
    const result = await sendMembers(connector('batch', 8), call, 'add', members(10), 's');
    expect(sizes[0]).toBe(8);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(8);
    expect(result.accepted.map((m) => m.key).sort()).toEqual(['1', '10', '2', '3', '4', '5', '6', '8', '9']);
    expect(result.rejected).toEqual([expect.objectContaining({ member: expect.objectContaining({ key: '7' }), reason: 'platform_refused' })]);
  });

  it('does not split a refusal of a platform that names bad rows: the refusal is about the request', async () => {
    await expect(sendMembers(connector('per_row'), async () => Promise.reject(new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', 'no', { platform: 'test' })), 'add', members(4), 's')).rejects.toMatchObject({ code: 'ACCORD_ERR_PLATFORM_REFUSED' });
  });
});

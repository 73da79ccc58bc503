import { describe, expect, it } from 'vitest';
import { GateProjection } from '../../consent/gate-projection.ts';

const projection = () => new GateProjection('marketing.sms', '', 'pipl');
const at = new Date('2026-06-01T00:00:00Z');

describe('GateProjection', () => {
  it('allows granted keys, counts the rest by reason', () => {
    const p = projection();
    p.apply([
      { subjectKey: 1, granted: true, expiresAt: null, decidedBySeq: 1 },
      { subjectKey: 2, granted: false, expiresAt: null, decidedBySeq: 2 },
      { subjectKey: 3, granted: true, expiresAt: new Date('2026-05-01T00:00:00Z'), decidedBySeq: 3 },
      { subjectKey: 4, granted: true, expiresAt: new Date('2026-07-01T00:00:00Z'), decidedBySeq: 4 },
    ]);
    const set = p.evaluate(Uint32Array.from([1, 2, 3, 4, 5, 9_000_000]), at, 'consent');
    expect([...set.keys]).toEqual([1, 4]);
    expect(set.denied).toEqual({ noConsent: 2, refused: 1, expired: 1 });
  });

  it('applies later decisions over earlier ones, and treats silence as allowed under opt-out', () => {
    const p = projection();
    p.apply([{ subjectKey: 7, granted: true, expiresAt: new Date('2026-05-01T00:00:00Z'), decidedBySeq: 1 }]);
    p.apply([{ subjectKey: 7, granted: false, expiresAt: null, decidedBySeq: 2 }]);
    expect([...p.evaluate(Uint32Array.from([7]), at, 'consent').keys]).toEqual([]);
    p.apply([{ subjectKey: 7, granted: true, expiresAt: null, decidedBySeq: 3 }]);
    expect([...p.evaluate(Uint32Array.from([7, 8]), at, 'consent').keys]).toEqual([7]);
    expect([...p.evaluate(Uint32Array.from([7, 8]), at, 'opt_out').keys]).toEqual([7, 8]);
  });

  it('grows to large keys and refuses keys outside 32 bits', () => {
    const p = projection();
    p.apply([{ subjectKey: 12_345_678, granted: true, expiresAt: null, decidedBySeq: 1 }]);
    expect([...p.evaluate(Uint32Array.from([12_345_678, 12_345_679]), at, 'consent').keys]).toEqual([12_345_678]);
    expect(() => p.apply([{ subjectKey: -1, granted: true, expiresAt: null, decidedBySeq: 2 }])).toThrow(RangeError);
  });
});

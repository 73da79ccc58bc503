import { describe, expect, it } from 'vitest';
import { ConsentedSet, GateProjection } from '../../consent/gate-projection.ts';

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

describe('ConsentedSet', () => {
  const genuine = () => {
    const p = projection();
    p.apply([{ subjectKey: 1, granted: true, expiresAt: null, decidedBySeq: 1 }]);
    return p.evaluate(Uint32Array.from([1, 2]), at, 'consent');
  };
  const refusal = (work: () => unknown) => {
    try {
      work();
    } catch (error) {
      return (error as { code?: string }).code;
    }
    return 'accepted';
  };

  it('is made only by the gate: a literal, a structural copy, a proxy or a subclass is refused', () => {
    const set = genuine();
    expect(refusal(() => ConsentedSet.check(set, 'marketing.sms'))).toBe('accepted');
    const literal = { purpose: 'marketing.sms', recipient: '', regime: 'pipl', at, keys: Uint32Array.from([1, 2, 3]), size: 3, has: () => true, denied: { noConsent: 0, refused: 0, expired: 0 }, evaluatedAtSeq: 9 };
    expect(refusal(() => ConsentedSet.check(literal, 'marketing.sms'))).toBe('ACCORD_ERR_CONSENT_NOT_GATED');
    expect(refusal(() => ConsentedSet.check({ ...set }, 'marketing.sms'))).toBe('ACCORD_ERR_CONSENT_NOT_GATED');
    expect(refusal(() => ConsentedSet.check(Object.create(ConsentedSet.prototype), 'marketing.sms'))).toBe('ACCORD_ERR_CONSENT_NOT_GATED');
    expect(refusal(() => ConsentedSet.check(new Proxy(set, {}), 'marketing.sms'))).toBe('ACCORD_ERR_CONSENT_NOT_GATED');
    // Without the module's own token, neither the class nor a subclass of it constructs.
    const answer = { purpose: 'marketing.sms', recipient: '', regime: 'pipl' as const, at, keys: Uint32Array.from([1, 2, 3]), denied: { noConsent: 0, refused: 0, expired: 0 }, evaluatedAtSeq: 1 };
    expect(refusal(() => new ConsentedSet(Symbol('minted by the consent gate'), answer))).toBe('ACCORD_ERR_CONSENT_NOT_GATED');
    class Forged extends ConsentedSet {
      constructor() {
        super(Symbol('minted by the consent gate'), answer);
      }
    }
    expect(refusal(() => new Forged())).toBe('ACCORD_ERR_CONSENT_NOT_GATED');
    // A genuine answer for another purpose is refused too.
    expect(refusal(() => ConsentedSet.check(set, 'audience.matching'))).toBe('ACCORD_ERR_CONSENT_NOT_GATED');
  });

  it('hands out copies: mutating them, or trying to change the set, adds no one', () => {
    const set = genuine();
    const keys = set.keys;
    keys[0] = 2;
    expect([...set.keys]).toEqual([1]);
    expect(set.has(2)).toBe(false);
    set.at.setTime(0);
    expect(set.at).toEqual(at);
    expect(() => Object.assign(set, { purpose: 'audience.matching' })).toThrow(TypeError);
    expect(() => Object.defineProperty(set, 'size', { value: 5 })).toThrow(TypeError);
    expect(() => Object.setPrototypeOf(set, { has: () => true })).toThrow(TypeError);
    expect(() => Object.assign(ConsentedSet.prototype, { has: () => true })).toThrow(TypeError);
    expect(set.size).toBe(1);
  });
});

describe('GateProjection refreshed by overlapping readers', () => {
  it('keeps the newer decision of a key whatever order rows arrive in, and never moves its sequence number back', () => {
    const p = projection();
    // A slow refresh read the grant (event 11) before a withdrawal (event 12) was recorded; a fast
    // one read the withdrawal and applied it first.
    p.apply([{ subjectKey: 5, granted: false, expiresAt: null, decidedBySeq: 12 }]);
    p.advanceTo(12);
    p.apply([{ subjectKey: 5, granted: true, expiresAt: null, decidedBySeq: 11 }]);
    p.advanceTo(11);
    expect(p.seq).toBe(12);
    const set = p.evaluate(Uint32Array.from([5]), at, 'consent');
    expect(set.size).toBe(0);
    expect(set.denied.refused).toBe(1);
    expect(set.evaluatedAtSeq).toBe(12);
  });

  it('lets a grant lapse early rather than late when its expiry is not on a whole second', () => {
    const p = projection();
    p.apply([{ subjectKey: 3, granted: true, expiresAt: new Date(at.getTime() + 500), decidedBySeq: 1 }]);
    expect(p.evaluate(Uint32Array.from([3]), at, 'consent').denied.expired).toBe(1);
    expect(p.evaluate(Uint32Array.from([3]), new Date(at.getTime() - 1), 'consent').size).toBe(1);
  });
});

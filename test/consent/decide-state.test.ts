import { describe, expect, it } from 'vitest';
import { allowsAt, decideState, type ConsentDecision } from '../../consent/decide-state.ts';

const at = (iso: string) => new Date(iso);
const grant = decideState(undefined, { seq: 1, kind: 'given', collectedAt: at('2026-01-10T00:00:00Z') }, 30);

describe('decideState', () => {
  it('grants with an expiry from the purpose retention', () => {
    expect(grant).toMatchObject({ granted: true, decidedBySeq: 1, expiresAt: at('2026-02-09T00:00:00Z') });
    expect(allowsAt(grant, at('2026-02-08T23:59:59Z'), 'consent')).toBe(true);
    expect(allowsAt(grant, at('2026-02-09T00:00:00Z'), 'consent')).toBe(false);
  });

  it('never lets an older grant that arrives late revive a newer withdrawal', () => {
    const withdrawn = decideState(grant, { seq: 2, kind: 'withdrawn', collectedAt: at('2026-01-12T00:00:00Z') }, 30);
    const lateOldGrant = decideState(withdrawn, { seq: 3, kind: 'given', collectedAt: at('2026-01-11T00:00:00Z') }, 30);
    expect(lateOldGrant).toBe(withdrawn);
    expect(lateOldGrant.granted).toBe(false);
    const newGrant = decideState(withdrawn, { seq: 4, kind: 'given', collectedAt: at('2026-01-13T00:00:00Z') }, 30);
    expect(newGrant.granted).toBe(true);
  });

  it('lets the denial win a tie in collection time', () => {
    const denied = decideState(grant, { seq: 2, kind: 'refused', collectedAt: grant.decidedAt }, 30);
    expect(denied.granted).toBe(false);
    expect(decideState(denied, { seq: 3, kind: 'given', collectedAt: grant.decidedAt }, 30)).toBe(denied);
  });

  it("never lets a guardian's grant override the child's own refusal", () => {
    const refused: ConsentDecision = decideState(undefined, { seq: 1, kind: 'refused', collectedAt: at('2026-01-01T00:00:00Z') }, null);
    expect(decideState(refused, { seq: 2, kind: 'guardian_given', collectedAt: at('2026-02-01T00:00:00Z') }, null)).toBe(refused);
    const invalidated = decideState(undefined, { seq: 1, kind: 'invalidated', collectedAt: at('2026-01-01T00:00:00Z') }, null);
    expect(decideState(invalidated, { seq: 2, kind: 'guardian_given', collectedAt: at('2026-02-01T00:00:00Z') }, null).granted).toBe(true);
  });

  it('treats silence as no consent under opt-in and as allowed under opt-out', () => {
    expect(allowsAt(undefined, new Date(), 'consent')).toBe(false);
    expect(allowsAt(undefined, new Date(), 'opt_out')).toBe(true);
    const optedOut = decideState(undefined, { seq: 1, kind: 'refused', collectedAt: new Date() }, null);
    expect(allowsAt(optedOut, new Date(), 'opt_out')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { checkOnlyTightens, effectiveTerms, type ApprovalConstraints } from '../../../core/collaborations/approval-constraints.ts';
import { statusAt } from '../../../core/collaborations/collaboration-status.ts';
import { collaborationTermsSchema, termsHash, type CollaborationTerms } from '../../../core/collaborations/collaboration-terms.ts';

const key = Buffer.alloc(32, 1).toString('base64');
const terms: CollaborationTerms = {
  id: '7d0f3c1e-3b8a-4c47-9d8e-2f0a3c9b1e01',
  name: 'Spring launch',
  parties: [
    { nodeId: '11111111-1111-4111-8111-111111111111', publicKey: key, role: 'brand' },
    { nodeId: '22222222-2222-4222-8222-222222222222', publicKey: key, role: 'partner' },
  ],
  purpose: 'audience.matching',
  recipients: ['ocean-engine'],
  outputs: { overlapCount: true, matchedToBrand: true, matchedToPartner: true, tagEnrichment: { tags: ['vip', 'city'] } },
  idTypes: ['email', 'phone', 'oaid'],
  suite: 'ristretto255',
  minOverlap: 100,
  minCellSize: 100,
  noise: { epsilonPerRun: 1, totalEpsilon: 10 },
  minInputSize: 1_000,
  declaredSizeTolerance: 0.05,
  runBudget: 100,
  maxRunsPerDay: 10,
  maxSetSize: 1_000_000,
  expiresAt: '2030-01-01T00:00:00.000Z',
};

describe('approval constraints', () => {
  it('takes the strictest value of every party, keeping the terms’ identifier priority', () => {
    const effective = effectiveTerms(terms, [
      { minOverlap: 500, runBudget: 80, idTypes: ['oaid', 'email'], outputs: { matchedToPartner: false } },
      { minOverlap: 300, runBudget: 20, noise: { epsilonPerRun: 2, totalEpsilon: 5 }, expiresAt: '2029-06-01T00:00:00.000Z', outputs: { tagEnrichment: { tags: ['city'] } } },
    ]);
    expect(effective).toMatchObject({
      minOverlap: 500,
      runBudget: 20,
      noise: { epsilonPerRun: 1, totalEpsilon: 5 },
      expiresAt: '2029-06-01T00:00:00.000Z',
      idTypes: ['email', 'oaid'],
      outputs: { overlapCount: true, matchedToBrand: true, matchedToPartner: false, tagEnrichment: { tags: ['city'] } },
    });
    expect(effectiveTerms(terms, [{ outputs: { tagEnrichment: null } }]).outputs.tagEnrichment).toBeNull();
    expect(effectiveTerms({ ...terms, noise: null, exactCounts: true }, [{ exactCounts: true }, { noise: { epsilonPerRun: 0.5, totalEpsilon: 3 } }]).noise).toEqual({ epsilonPerRun: 0.5, totalEpsilon: 3 });
    expect(effectiveTerms(terms, [{ minInputSize: 5_000, declaredSizeTolerance: 0.01 }, { minInputSize: 2_000 }])).toMatchObject({ minInputSize: 5_000, declaredSizeTolerance: 0.01 });
  });

  it('counts exactly only when the terms offer it and every party opts in; silence keeps the default noise', () => {
    const exact = { ...terms, noise: null, exactCounts: true as const };
    expect(effectiveTerms(exact, [{ exactCounts: true }, { exactCounts: true }])).toMatchObject({ noise: null, exactCounts: true });
    for (const approvals of [[{ exactCounts: true as const }, {}], [{}, {}]]) {
      const effective = effectiveTerms(exact, approvals);
      expect(effective.noise).toEqual({ epsilonPerRun: 1, totalEpsilon: 10 });
      expect(effective.exactCounts).toBeUndefined();
    }
    // Opting in to what the terms do not offer loosens them.
    expect(() => checkOnlyTightens(terms, { exactCounts: true })).toThrow(expect.objectContaining({ code: 'ACCORD_ERR_COLLABORATION_CONSTRAINTS' }));
    expect(() => checkOnlyTightens(exact, { exactCounts: true })).not.toThrow();
    // The terms say exact counts explicitly, or they carry noise.
    expect(collaborationTermsSchema.safeParse(exact).success).toBe(true);
    expect(collaborationTermsSchema.safeParse({ ...terms, noise: null }).success).toBe(false);
    expect(collaborationTermsSchema.safeParse({ ...terms, exactCounts: true }).success).toBe(false);
  });

  it('refuses constraints that loosen the terms, and names each', () => {
    const loosening: ApprovalConstraints[] = [{ minOverlap: 99 }, { minCellSize: 1 }, { minInputSize: 999 }, { declaredSizeTolerance: 0.1 }, { runBudget: 101 }, { maxRunsPerDay: 11 }, { maxSetSize: 2_000_000 }, { noise: { epsilonPerRun: 2, totalEpsilon: 10 } }, { expiresAt: '2031-01-01T00:00:00.000Z' }, { idTypes: ['imei'] }, { outputs: { tagEnrichment: { tags: ['income'] } } }];
    for (const loose of loosening) {
      expect(() => checkOnlyTightens(terms, loose), JSON.stringify(loose)).toThrow(expect.objectContaining({ code: 'ACCORD_ERR_COLLABORATION_CONSTRAINTS' }));
    }
    expect(() => checkOnlyTightens(terms, { minOverlap: 100, runBudget: 100, idTypes: ['phone'] })).not.toThrow();
  });

  it('derives the status: revoked beats everything, expiry comes from the strictest party, approval needs every party', () => {
    const approvals = [{ nodeId: terms.parties[0]!.nodeId }];
    const base = { terms, effective: terms, approvals, revocations: [] };
    const at = new Date('2029-01-01T00:00:00Z');
    expect(statusAt(base, at)).toBe('proposed');
    const both = { ...base, approvals: [...approvals, { nodeId: terms.parties[1]!.nodeId }] };
    expect(statusAt(both, at)).toBe('approved');
    expect(statusAt(both, new Date('2030-01-01T00:00:00Z'))).toBe('expired');
    expect(statusAt({ ...both, effective: effectiveTerms(terms, [{ expiresAt: '2028-01-01T00:00:00.000Z' }]) }, at)).toBe('expired');
    expect(statusAt({ ...both, revocations: [{}] }, at)).toBe('revoked');
  });

  it('hashes the terms canonically and keeps the terms schema strict', () => {
    const reordered = Object.fromEntries(Object.entries(terms).reverse()) as CollaborationTerms;
    expect(Buffer.from(termsHash(reordered)).toString('hex')).toBe(Buffer.from(termsHash(terms)).toString('hex'));
    expect(Buffer.from(termsHash({ ...terms, minOverlap: 101 })).equals(Buffer.from(termsHash(terms)))).toBe(false);
    expect(collaborationTermsSchema.safeParse(terms).success).toBe(true);
    expect(collaborationTermsSchema.safeParse({ ...terms, extra: 1 }).success).toBe(false);
    expect(collaborationTermsSchema.safeParse({ ...terms, idTypes: ['wechat_openid'] }).success).toBe(false);
    expect(collaborationTermsSchema.safeParse({ ...terms, parties: [terms.parties[0], { ...terms.parties[1], role: 'brand' }] }).success).toBe(false);
    expect(collaborationTermsSchema.safeParse({ ...terms, expiresAt: '2030-01-01T00:00:00Z' }).success).toBe(false);
    // An input smaller than the minimum overlap could never release anything.
    expect(collaborationTermsSchema.safeParse({ ...terms, minInputSize: 99 }).success).toBe(false);
  });
});

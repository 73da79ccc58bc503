import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import { checkDeclaredSize } from '../../../core/guard/admission-rules.ts';
import { admitRun } from '../../../core/guard/admit-run.ts';
import { GuardError } from '../../../core/guard/guard-errors.ts';
import { guardDecisionsOf, recordGuardRefusal } from '../../../core/guard/guard-ledger.ts';
import { defaultGuardPolicy, type GuardPolicy } from '../../../core/guard/guard-policy.ts';
import { releaseCounts } from '../../../core/guard/release-counts.ts';
import { releaseMembers } from '../../../core/guard/release-members.ts';
import { recordPeerRelease } from '../../../core/guard/record-peer-release.ts';
import { OTHER_CELL } from '../../../core/guard/suppress-small-cells.ts';
import { ensureTenant } from '../../../core/tenancy/tenants.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';

const policy: GuardPolicy = { ...defaultGuardPolicy, minOverlap: 100, minCellSize: 50, maxRunsPerDay: 100, runBudget: 100 };
const noisy = (epsilonPerRelease: number, totalEpsilon: number): GuardPolicy => ({ ...policy, noise: { epsilonPerRelease, totalEpsilon } });
const declared = { own: 10_000, peer: 12_000 };

async function rejection(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
}

describe.each(storageBackends)('output guard on %s', (backend) => {
  let t: TestDatabase;
  let brand: string;
  let collaboration: string;
  const inBrand = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, brand, work);
  const admit = (runId: string, p: GuardPolicy = policy, sizes = declared) => inBrand((trx) => admitRun(trx, collaboration, runId, p, sizes));
  const ledger = () => inBrand((trx) => guardDecisionsOf(trx, collaboration));

  beforeEach(async () => {
    t = await openTestDatabase(backend);
    brand = (await ensureTenant(t.db, 'brand')).id;
    collaboration = randomUUID();
  });
  afterEach(() => t.dispose());

  it('releases nothing below the minimum overlap, and records that it withheld', async () => {
    await admit('r1');
    const decision = await inBrand((trx) => releaseCounts(trx, collaboration, 'r1', policy, { total: 99, byIdType: { email: 99 } }));
    expect(decision).toEqual({ released: false, reason: 'below-min-overlap' });
    expect(await inBrand((trx) => releaseMembers(trx, collaboration, 'r1', policy, Array.from({ length: 99 }, (_, i) => i)))).toEqual({ released: false, reason: 'below-min-overlap' });
    const entries = await ledger();
    expect(entries.map((e) => [e.stage, e.outcome, e.reason])).toEqual([
      ['admit', 'admitted', null],
      ['counts', 'withheld', 'below-min-overlap'],
      ['members', 'withheld', 'below-min-overlap'],
    ]);
    expect(JSON.stringify(entries[1]!.details)).not.toContain('99');
  });

  it('releases counts and members at the minimum, with breakdown cells under the minimum pooled', async () => {
    await admit('r1');
    const decision = await inBrand((trx) =>
      releaseCounts(trx, collaboration, 'r1', policy, {
        total: 565,
        byIdType: { email: 520, phone: 45 },
        cells: [
          { key: '上海', count: 300 },
          { key: '北京', count: 200 },
          { key: '广州', count: 60 },
          { key: '深圳', count: 5 },
        ],
      }),
    );
    expect(decision).toEqual({
      released: true,
      total: 565,
      byIdType: { [OTHER_CELL]: 565 },
      cells: [
        { key: '上海', count: 300 },
        { key: '北京', count: 200 },
        { key: OTHER_CELL, count: 65 },
      ],
      noise: null,
    });
    const members = Array.from({ length: 100 }, (_, i) => i);
    expect(await inBrand((trx) => releaseMembers(trx, collaboration, 'r1', policy, members))).toEqual({ released: true, members });
  });

  it('releases nothing for a run it did not admit', async () => {
    const error = await rejection(inBrand((trx) => releaseCounts(trx, collaboration, 'never-admitted', policy, { total: 5000 })));
    expect(error).toBeInstanceOf(GuardError);
    expect((error as GuardError).code).toBe('ACCORD_ERR_GUARD_NOT_ADMITTED');
    expect((await rejection(inBrand((trx) => releaseMembers(trx, collaboration, 'never-admitted', policy, [1, 2, 3])))) as GuardError).toMatchObject({ code: 'ACCORD_ERR_GUARD_NOT_ADMITTED' });
  });

  it('answers a repeated request for the same run with the recorded release, spending nothing more', async () => {
    const p = noisy(0.5, 1);
    await admit('r1', p);
    const first = await inBrand((trx) => releaseCounts(trx, collaboration, 'r1', p, { total: 1000, cells: [{ key: 'a', count: 500 }, { key: 'b', count: 500 }] }));
    for (let i = 0; i < 5; i++) {
      expect(await inBrand((trx) => releaseCounts(trx, collaboration, 'r1', p, { total: 1000, cells: [{ key: 'a', count: 500 }, { key: 'b', count: 500 }] }))).toEqual(first);
    }
    const spent = (await ledger()).reduce((sum, e) => sum + e.epsilonMicros, 0);
    expect(spent).toBe(500_000);
    expect(first).toMatchObject({ released: true, noise: { epsilon: 0.5 } });
  });

  it('with noise, applies the minimum overlap to the noisy count and spends ε whichever way it goes', async () => {
    const p = noisy(1, 10);
    await admit('r1', p);
    await admit('r2', p);
    // An exact count of 5 is withheld: the noisy one falls below 100, and the refusal is a release too.
    expect(await inBrand((trx) => releaseCounts(trx, collaboration, 'r1', p, { total: 5, sensitivity: 2 }))).toEqual({ released: false, reason: 'below-min-overlap' });
    expect(await inBrand((trx) => releaseCounts(trx, collaboration, 'r2', p, { total: 5_000, sensitivity: 2 }))).toMatchObject({ released: true, byIdType: null, noise: { epsilon: 1 } });
    const counts = (await ledger()).filter((e) => e.stage === 'counts');
    expect(counts.map((e) => [e.outcome, e.epsilonMicros])).toEqual([
      ['withheld', 1_000_000],
      ['released', 1_000_000],
    ]);
    // Neither entry holds the exact count; the release holds the noisy one and how the noise was scaled.
    expect(counts[0]!.details).toEqual({ minOverlap: 100, noise: { epsilon: 1, sensitivity: 2 } });
    expect(counts[1]!.details).toMatchObject({ noise: { epsilon: 1, sensitivity: 2 }, onlyOutput: false });
  });

  it('exact counts that are the only output of their run: withholds one within the minimum overlap of an earlier one', async () => {
    for (const run of ['r1', 'r2', 'r3', 'r4', 'r5']) await admit(run);
    const release = (run: string, total: number, onlyOutput = true) => inBrand((trx) => releaseCounts(trx, collaboration, run, policy, { total }, { onlyOutput }));
    expect(await release('r1', 500)).toMatchObject({ released: true, total: 500, noise: null });
    // S, then S plus one person: the difference would tell that person.
    expect(await release('r2', 501)).toEqual({ released: false, reason: 'too-close-to-earlier-count' });
    // The same count again tells nothing new; one a minimum overlap away is a different audience.
    expect(await release('r3', 500)).toMatchObject({ released: true, total: 500 });
    expect(await release('r4', 600)).toMatchObject({ released: true, total: 600 });
    // A count released with its members (which show the exact overlap anyway) is not held back.
    expect(await release('r5', 599, false)).toMatchObject({ released: true, total: 599 });
    expect(JSON.stringify((await ledger()).find((e) => e.runId === 'r2')!.details)).not.toContain('501');
  });

  it("records a peer's release as the peer decided it, spending the ε its terms say, once", async () => {
    const p = noisy(0.5, 1);
    await admit('r1', p);
    await admit('r2', p);
    const decision = { released: true as const, total: 1_234, byIdType: null, cells: null, noise: { epsilon: 0.5 } };
    expect(await inBrand((trx) => recordPeerRelease(trx, collaboration, 'r1', p, decision, 'peer-node'))).toEqual(decision);
    // Asked again (a retried finish), the recorded decision comes back and nothing more is spent.
    expect(await inBrand((trx) => recordPeerRelease(trx, collaboration, 'r1', p, { released: false, reason: 'below-min-overlap' }, 'peer-node'))).toEqual(decision);
    // A refusal decided on a noisy count spent ε at the peer, so it does here.
    await inBrand((trx) => recordPeerRelease(trx, collaboration, 'r2', p, { released: false, reason: 'below-min-overlap' }, 'peer-node'));
    const counts = (await ledger()).filter((e) => e.stage === 'counts');
    expect(counts.map((e) => [e.outcome, e.epsilonMicros, e.details.decidedBy])).toEqual([
      ['released', 500_000, 'peer-node'],
      ['withheld', 500_000, 'peer-node'],
    ]);
    // The budget is spent on this node too: no further run is admitted.
    expect(await rejection(admit('r3', p))).toMatchObject({ code: 'ACCORD_ERR_GUARD_PRIVACY_BUDGET' });
    expect(await rejection(inBrand((trx) => recordPeerRelease(trx, collaboration, 'never', p, decision, 'peer-node')))).toMatchObject({ code: 'ACCORD_ERR_GUARD_NOT_ADMITTED' });
  });

  it('refuses to admit the same run id twice', async () => {
    await admit('r1');
    expect(await rejection(admit('r1'))).toMatchObject({ code: 'ACCORD_ERR_CONFLICT' });
  });

  it('adds noise, spends the privacy budget exactly, and withholds or refuses once it is spent', async () => {
    const p = noisy(0.1, 0.3);
    const totals: number[] = [];
    for (const run of ['r1', 'r2', 'r3']) {
      await admit(run, p);
      const decision = await inBrand((trx) => releaseCounts(trx, collaboration, run, p, { total: 10_000 }));
      if (!decision.released) throw new Error(`run ${run} was withheld`);
      totals.push(decision.total);
    }
    // Noise with ε = 0.1 has a standard deviation of about 14: the totals stay near 10,000.
    for (const total of totals) expect(Math.abs(total - 10_000)).toBeLessThan(300);
    // 0.1 + 0.1 + 0.1 is 0.3 in millionths, so the budget is spent, not overspent.
    expect(await rejection(admit('r4', p))).toMatchObject({ code: 'ACCORD_ERR_GUARD_PRIVACY_BUDGET' });
  });

  it('withholds a release when runs admitted together outrun the budget', async () => {
    const p = noisy(1, 1.5);
    await admit('r1', p);
    await admit('r2', p);
    expect(await inBrand((trx) => releaseCounts(trx, collaboration, 'r1', p, { total: 500 }))).toMatchObject({ released: true });
    expect(await inBrand((trx) => releaseCounts(trx, collaboration, 'r2', p, { total: 500 }))).toEqual({ released: false, reason: 'budget-exhausted' });
    expect((await ledger()).filter((e) => e.stage === 'counts').map((e) => [e.outcome, e.reason, e.epsilonMicros])).toEqual([
      ['released', null, 1_000_000],
      ['withheld', 'budget-exhausted', 0],
    ]);
  });

  it('refuses a partner that asks for run after run: the lifetime budget', async () => {
    const p = { ...policy, runBudget: 3 };
    for (const run of ['r1', 'r2', 'r3']) await admit(run, p);
    const error = await rejection(admit('r4', p));
    expect(error).toMatchObject({ code: 'ACCORD_ERR_GUARD_RUN_BUDGET' });
    // The refusal is kept once the caller records it in the transaction that fails its run.
    await inBrand((trx) => recordGuardRefusal(trx, collaboration, 'r4', error as GuardError));
    expect((await ledger()).at(-1)).toMatchObject({ runId: 'r4', stage: 'admit', outcome: 'refused', reason: 'ACCORD_ERR_GUARD_RUN_BUDGET' });
    // A refused run id was never admitted, so nothing is released for it.
    expect(await rejection(inBrand((trx) => releaseCounts(trx, collaboration, 'r4', p, { total: 5000 })))).toMatchObject({ code: 'ACCORD_ERR_GUARD_NOT_ADMITTED' });
  });

  it('limits runs per 24 hours, counting only runs inside the window', async () => {
    const p = { ...policy, maxRunsPerDay: 2 };
    const backdated = (runId: string, hoursAgo: number) =>
      inBrand((trx) =>
        trx
          .insertInto('guard_decisions')
          .values({ tenant_id: brand, collaboration_id: collaboration, run_id: runId, stage: 'admit', outcome: 'admitted', details: '{}', decided_at: new Date(Date.now() - hoursAgo * 3_600_000) })
          .execute(),
      );
    await backdated('old-1', 30);
    await backdated('old-2', 25);
    await backdated('recent', 23);
    await admit('r1', p);
    const error = await rejection(admit('r2', p));
    expect(error).toBeInstanceOf(GuardError);
    expect(error).toMatchObject({ code: 'ACCORD_ERR_GUARD_RATE_LIMITED' });
    // The backdated run leaves the window in about an hour.
    const retryAfter = (error as GuardError).extensions.retryAfterSeconds as number;
    expect(retryAfter).toBeGreaterThan(3_000);
    expect(retryAfter).toBeLessThanOrEqual(3_600);
  });

  it('refuses declared sizes over the cap or too lopsided, and inputs larger than declared', async () => {
    const p = { ...policy, maxSetSize: 1_000_000, maxSizeRatio: 20 };
    expect(await rejection(admit('big', p, { own: 10_000, peer: 5_000_000 }))).toMatchObject({ code: 'ACCORD_ERR_GUARD_SET_TOO_LARGE' });
    expect(await rejection(admit('probe', p, { own: 100_000, peer: 1_000 }))).toMatchObject({ code: 'ACCORD_ERR_GUARD_ASYMMETRY' });
    expect(await ledger()).toEqual([]);
    await admit('r1', p, { own: 100_000, peer: 90_000 });
    // The peer then sends far more than it declared.
    let mismatch: unknown;
    try {
      checkDeclaredSize(90_000, 900_000, 'peer');
    } catch (error) {
      mismatch = error;
    }
    expect(mismatch).toMatchObject({ code: 'ACCORD_ERR_GUARD_SIZE_MISMATCH', extensions: { who: 'peer', declared: 90_000, actual: 900_000 } });
    await inBrand((trx) => recordGuardRefusal(trx, collaboration, 'r1', mismatch as GuardError));
    expect((await ledger()).map((e) => [e.runId, e.stage, e.outcome, e.reason])).toEqual([
      ['r1', 'admit', 'admitted', null],
      ['r1', 'input', 'refused', 'ACCORD_ERR_GUARD_SIZE_MISMATCH'],
    ]);
  });

  it('lets two runs racing for the last unit of budget take it only once', async () => {
    const p = { ...policy, runBudget: 1 };
    // On Postgres both transactions are open before either admits, so only the lock keeps them
    // apart; PGlite runs one transaction at a time by construction.
    let arrive!: () => void;
    const bothOpen = backend === 'postgres' ? new Promise<void>((resolve) => (arrive = resolve)) : Promise.resolve();
    let open = 0;
    const racer = (runId: string) =>
      inBrand(async (trx) => {
        await trx.selectFrom('guard_decisions').select('id').execute();
        if (++open === 2 && backend === 'postgres') arrive();
        await bothOpen;
        await admitRun(trx, collaboration, runId, p, declared);
      });
    const outcomes = await Promise.allSettled([racer('a'), racer('b')]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: 'ACCORD_ERR_GUARD_RUN_BUDGET' });
    expect((await ledger()).filter((e) => e.outcome === 'admitted')).toHaveLength(1);
  });

  it('lets two releases racing for the last of the privacy budget spend it only once', async () => {
    const p = noisy(1, 1);
    await admit('a', p);
    await admit('b', p);
    let arrive!: () => void;
    const bothOpen = backend === 'postgres' ? new Promise<void>((resolve) => (arrive = resolve)) : Promise.resolve();
    let open = 0;
    const racer = (runId: string) =>
      inBrand(async (trx) => {
        await trx.selectFrom('guard_decisions').select('id').execute();
        if (++open === 2 && backend === 'postgres') arrive();
        await bothOpen;
        return releaseCounts(trx, collaboration, runId, p, { total: 1000 });
      });
    const decisions = await Promise.all([racer('a'), racer('b')]);
    expect(decisions.filter((d) => d.released)).toHaveLength(1);
    expect(decisions.filter((d) => !d.released)).toEqual([{ released: false, reason: 'budget-exhausted' }]);
    expect((await ledger()).reduce((sum, e) => sum + e.epsilonMicros, 0)).toBe(1_000_000);
  });

  it('keeps budgets per tenant: another tenant on this node neither sees nor spends them', async () => {
    const media = (await ensureTenant(t.db, 'media')).id;
    const p = { ...policy, runBudget: 1 };
    await admit('r1', p);
    await withTenant(t.db, media, (trx) => admitRun(trx, collaboration, 'r1', p, declared));
    expect(await withTenant(t.db, media, (trx) => guardDecisionsOf(trx, collaboration))).toHaveLength(1);
    expect(await ledger()).toHaveLength(1);
  });

  it('keeps the ledger append-only', async () => {
    await admit('r1');
    await expect(inBrand((trx) => trx.deleteFrom('guard_decisions').execute())).rejects.toThrow();
    await expect(inBrand((trx) => trx.updateTable('guard_decisions').set({ epsilon_micros: 0 }).execute())).rejects.toThrow();
    expect(await ledger()).toHaveLength(1);
  });
});

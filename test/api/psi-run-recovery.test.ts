/**
 * PSI runs that are interrupted, between two nodes over real HTTP: a lost answer after the server
 * stored a frame, and a worker that dies mid-run and whose job another worker takes back, both
 * resume the run to the result an uninterrupted run gives; a partner that stays unreachable fails
 * the run on both nodes with nothing released.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/job-runners.ts';
import { storageBackends } from '../support/test-database.ts';
import { approvedCollaboration, connectPsiNodes, emailsOf, matchedEmails, phoneOf, runEnded, seedMembers, startPsiNode, startRun, stopPsiNodes, type PsiTestNode } from './psi-fixtures.ts';

describe.each(storageBackends)('PSI runs that are interrupted on %s', (backend) => {
  let brand: PsiTestNode;
  let partner: PsiTestNode;
  let collaborationId: string;
  let baseline: { total: unknown; matches: { email: string; idType: string }[] };

  /** The attempts the brand's `psi.run` job for this run made, and how it ended (once the runner has recorded it). */
  function jobOf(runId: string): Promise<{ attempts: number; status: string }> {
    return waitFor(async () => {
      const jobs = await brand.node.t.db.selectFrom('jobs').select(['attempts', 'status', 'payload']).where('name', '=', 'psi.run').execute();
      const job = jobs.find((row) => (row.payload as { run?: string }).run === runId);
      return job && (job.status === 'completed' || job.status === 'failed') ? { attempts: job.attempts, status: job.status } : undefined;
    }, `the psi.run job of ${runId} ended`);
  }

  const frames = (idType: string, stream: string, method: 'GET' | 'POST') => new RegExp(`/psi-runs/[^/]+/frames/${idType}/${stream}${method === 'GET' ? '/\\d+' : ''}$`);

  beforeAll(async () => {
    brand = await startPsiNode(backend, 'Brand');
    partner = await startPsiNode(backend, 'Ocean Engine');
    const pair = await connectPsiNodes(brand, partner);
    await seedMembers(brand, emailsOf(0, 60).map((email, i) => ({ email, phone: phoneOf(i) })));
    await seedMembers(partner, emailsOf(20, 80).map((email, i) => ({ email, phone: phoneOf(20 + i) })));
    collaborationId = await approvedCollaboration(pair, { outputs: { matchedToBrand: true, matchedToPartner: false }, idTypes: ['email', 'phone'], exactCounts: true });

    const runId = await startRun(brand, collaborationId);
    const run = await runEnded(brand, runId);
    expect(run.error).toBeNull();
    baseline = { total: run.result!.decision.total, matches: await matchedEmails(brand, runId) };
    expect(baseline.total).toBe(40);
    expect(baseline.matches).toHaveLength(40);
  });

  afterAll(() => stopPsiNodes(brand, partner));

  it('resumes after the answer to a stored frame was lost, to the same result as an uninterrupted run', async () => {
    // The partner takes the brand's phone set and commits it; the connection drops before the answer.
    const fault = partner.faults.arm('POST', frames('phone', 'client-blinded', 'POST'), 'drop-after');
    const runId = await startRun(brand, collaborationId);
    const run = await runEnded(brand, runId);
    expect(fault.hits()).toBe(1);
    expect(run.error).toBeNull();
    expect(run.status).toBe('finished');
    expect(run.result!.decision.total).toBe(baseline.total);
    expect(await matchedEmails(brand, runId)).toEqual(baseline.matches);
    expect(await jobOf(runId)).toEqual({ attempts: 2, status: 'completed' });
    expect(await runEnded(partner, runId)).toMatchObject({ status: 'finished', error: null });
  });

  it('resumes on another worker after the one running it died mid-run, to the same result', async () => {
    // The worker hangs on fetching the doubly blinded set, as a process that froze or was killed would.
    const fault = partner.faults.arm('GET', frames('email', 'client-double', 'GET'), 'hold');
    const runId = await startRun(brand, collaborationId);
    await waitFor(async () => (fault.hits() === 1 ? true : undefined), 'the worker stuck mid-run');
    const dead = brand.runner;
    const stopped = dead.stop();
    // A worker started afterwards takes back the job the dead one held (as after a crash and restart).
    brand.runner = brand.newRunner({ abandonedAfterMs: 0 });
    await brand.runner.start();

    const run = await runEnded(brand, runId);
    expect(run.error).toBeNull();
    expect(run.status).toBe('finished');
    expect(run.result!.decision.total).toBe(baseline.total);
    expect(await matchedEmails(brand, runId)).toEqual(baseline.matches);

    // The dead worker's request finally fails; that changes nothing of the finished run.
    partner.faults.releaseHeld();
    await stopped;
    expect(await runEnded(brand, runId)).toMatchObject({ status: 'finished', error: null });
    expect(await jobOf(runId)).toEqual({ attempts: 2, status: 'completed' });
    expect(await matchedEmails(brand, runId)).toEqual(baseline.matches);
    expect(await runEnded(partner, runId)).toMatchObject({ status: 'finished', error: null });
  });

  it('fails the run on both nodes, with nothing released, when the partner stays unreachable mid-run', async () => {
    // Every attempt gets as far as fetching the partner's set, and the connection drops there.
    const fault = partner.faults.arm('GET', frames('email', 'server-blinded', 'GET'), 'drop-before', 100);
    const runId = await startRun(brand, collaborationId);
    const run = await runEnded(brand, runId);
    partner.faults.disarm();
    expect(fault.hits()).toBe(3);
    expect(run.status).toBe('failed');
    expect(run.error).toContain('ACCORD_ERR_PEER_UNREACHABLE');
    expect(run.result).toBeNull();
    expect(await matchedEmails(brand, runId)).toEqual([]);
    expect(await jobOf(runId)).toEqual({ attempts: 3, status: 'failed' });

    // The brand told the partner, which ended its side too and erased what it held.
    const serverRun = await runEnded(partner, runId);
    expect(serverRun.status).toBe('failed');
    expect(serverRun.error).toContain('the client failed the run');
    expect(serverRun.result).toBeNull();
    expect(await matchedEmails(partner, runId)).toEqual([]);
    const left = await partner.node.t.db.selectFrom('psi_run_frames').select('stream').where('run_id', '=', runId).execute();
    expect(left).toEqual([]);
  });
});

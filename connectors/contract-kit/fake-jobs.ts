/**
 * Work a fake finishes later: each status read counts as one poll, and a job is done after the
 * configured number of polls (2 unless a test sets it), which keeps tests free of timing.
 */

export interface FakeJob<T> {
  readonly id: string;
  readonly data: T;
  polls: number;
}

export class FakeJobs<T> {
  private readonly all = new Map<string, FakeJob<T>>();

  constructor(private readonly pollsToFinish: number) {}

  start(id: string, data: T): FakeJob<T> {
    const job = { id, data, polls: 0 };
    this.all.set(id, job);
    return job;
  }

  get(id: string): FakeJob<T> | undefined {
    return this.all.get(id);
  }

  /** Counts a poll; whether the job is now done. */
  poll(job: FakeJob<T>): boolean {
    job.polls++;
    return this.done(job);
  }

  done(job: FakeJob<T>): boolean {
    return job.polls >= this.pollsToFinish;
  }

  list(): FakeJob<T>[] {
    return [...this.all.values()];
  }
}

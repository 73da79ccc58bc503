/** The state one fake platform keeps, and the options every contract server takes. */
import { FakeAudiences } from './fake-audiences.ts';
import { fakePeople, type FakePerson } from './fake-people.ts';
import { FakePopulation, type FakeIdType } from './fake-population.ts';
import { FaultQueue } from './fault-queue.ts';
import { RateBudget } from './rate-budget.ts';
import { TokenBook } from './token-book.ts';

export interface FakeOptions {
  /** The platform's user base; 40 generated people when absent. */
  readonly people?: readonly FakePerson[];
  /** Minimum audience size the platform enforces, where it has one; the platform's figure when absent. */
  readonly minimumSize?: number;
  /** Status reads before an upload is processed; 2 when absent. */
  readonly pollsToFinish?: number;
  /** The platform's clock (token timestamps, rate windows); Date.now when absent. */
  readonly now?: () => number;
}

export class FakePlatform {
  readonly tokens = new TokenBook();
  readonly faults = new FaultQueue();
  readonly audiences = new FakeAudiences();
  readonly budget: RateBudget;
  readonly population: FakePopulation;
  readonly pollsToFinish: number;
  readonly now: () => number;
  /** Conversions the platform took, as `{ key }` (event id or click callback) plus what the fake read. */
  readonly conversions: Array<{ readonly key: string; readonly [field: string]: unknown }> = [];

  constructor(
    readonly name: string,
    options: FakeOptions,
    types: Readonly<Record<string, FakeIdType>>,
    /** The minimum size in force: the test's, else the platform's own (undefined where it has none). */
    readonly minimumSize: number | undefined,
    /** The currency the fake's reports are in. */
    readonly currency: string,
  ) {
    this.now = options.now ?? Date.now;
    this.budget = new RateBudget(this.now);
    this.population = new FakePopulation(options.people ?? fakePeople(40), types);
    this.pollsToFinish = options.pollsToFinish ?? 2;
  }
}

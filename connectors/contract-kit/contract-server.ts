/**
 * What tests and the demo can do with any platform's contract server: a local fake that enforces the
 * platform's documented contract, started on a free port and closed when done.
 */
import type { Credentials } from '../../core/activation/credentials.ts';
import type { FakePlatform } from './fake-platform.ts';
import type { Fault } from './fault-queue.ts';

export interface ContractServer {
  readonly url: string;
  /** Credentials the server accepts now; they include a refresh token where the platform has refresh. */
  readonly credentials: Credentials;
  /** The platform's state, for assertions. */
  readonly state: FakePlatform;
  /** Every access token issued so far stops working. */
  expireTokens(): void;
  inject(fault: Fault): void;
  /** From now on at most `calls` API calls per window; more are refused the way the platform rate-limits, with the wait. */
  limitRate(budget: { calls: number; windowSeconds: number }): void;
  close(): Promise<void>;
}

/** Where and as whom a connector calls a platform. */
import type { CredentialSource } from './credentials.ts';

export interface PlatformContext {
  /** The ad account, advertiser or customer id; a string, because some exceed 2^53. */
  readonly accountId: string;
  readonly credentials: CredentialSource;
  /** One origin that stands in for every host of the platform (its contract server); the platform's own hosts when absent. */
  readonly baseUrl?: string | undefined;
  /** How long one call may take before it counts as unavailable; 30 s when absent. */
  readonly timeoutMs?: number | undefined;
}

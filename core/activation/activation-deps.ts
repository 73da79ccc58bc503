/** What the sync engine's jobs and routes are given by the composition root. */
import type { ConsentGate } from '../consent/consent-gate.ts';
import type { AudienceConnectors } from './audience-connectors.ts';
import type { SendPolicy } from './send-batch.ts';

export interface ActivationDeps {
  readonly connectors: AudienceConnectors;
  readonly masterKey: Uint8Array;
  readonly gate: ConsentGate;
  /** Retries within one call; defaults in send-batch.ts. */
  readonly policy?: SendPolicy | undefined;
  /** Members per chunk job (several workers share a run's chunks); 10,000 when absent. */
  readonly chunkSize?: number | undefined;
  /** Wait between polls of a platform's processing status; 5 s when absent. */
  readonly pollDelayMs?: number | undefined;
  /** How long one platform call may take; 30 s when absent. */
  readonly timeoutMs?: number | undefined;
}

export const DEFAULT_CHUNK = 10_000;

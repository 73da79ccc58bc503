/** What passes between a scoring pool (scoring-pool.ts) and its worker threads (scoring-worker.ts). */
import { HeError, type HeErrorCode } from '../../crypto/he/he-error.ts';
import type { HeParamsName } from '../../crypto/he/he-params.ts';
import type { OpenedResiduals, ProductParts, ProviderShare } from './provider-session.ts';
import { ScoringError, type ScoringErrorCode } from './scoring-errors.ts';

export type ScoringWorkerData =
  | { readonly role: 'provider'; readonly share: ProviderShare }
  | { readonly role: 'brand'; readonly heParams: HeParamsName; readonly key: Uint8Array };

export type ScoringWorkerTask = { readonly id: number; readonly opened: OpenedResiduals } | { readonly id: number; readonly parts: Uint8Array[] };

export interface WorkerFailure {
  readonly name: string;
  readonly code: string | null;
  readonly message: string;
}

export type ScoringWorkerReply =
  | { readonly id: -1; readonly ready: true }
  | { readonly id: number; readonly products: ProductParts }
  | { readonly id: number; readonly sums: Float64Array }
  | { readonly id: number; readonly failure: WorkerFailure };

/** The error a worker reported, rebuilt with its class and code where it has one. */
export function rebuildFailure(failure: WorkerFailure): Error {
  if (failure.name === 'HeError') return new HeError(failure.code as HeErrorCode, failure.message);
  if (failure.name === 'ScoringError') return new ScoringError(failure.code as ScoringErrorCode, failure.message);
  return new Error(`scoring worker: ${failure.message}`);
}

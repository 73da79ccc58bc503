/**
 * What an ad-platform call can end in besides success, as coded errors the sync engine acts on:
 * retry later (UNAVAILABLE, THROTTLED, both with `retryAfterMs` when the platform said how long),
 * drop named rows and resend the rest (ROWS_REJECTED), keep members it could not remove
 * (AUDIENCE_TOO_SMALL), ask for new credentials (AUTH), or stop (REFUSED).
 * Connectors classify every platform answer into these, including errors inside HTTP 200 bodies.
 */
import { CodedError } from '../errors.ts';

export const activationErrorCodes = {
  ACCORD_ERR_PLATFORM_UNAVAILABLE: 'The platform failed or did not answer in time; retry later',
  ACCORD_ERR_PLATFORM_THROTTLED: 'The platform rate-limited the call; retry after the delay it gave',
  ACCORD_ERR_PLATFORM_AUTH: 'The platform refused the credentials and they could not be refreshed',
  ACCORD_ERR_PLATFORM_ROWS_REJECTED: 'The platform refused the batch because of the rows named',
  ACCORD_ERR_AUDIENCE_TOO_SMALL: 'The platform refused a change that would leave the audience below its minimum size',
  ACCORD_ERR_PLATFORM_REFUSED: 'The platform refused the request',
} as const;

export type ActivationErrorCode = keyof typeof activationErrorCodes;

/** A row of a batch the platform refused: its position in the batch sent, and the platform's reason. */
export interface RejectedRow {
  readonly index: number;
  readonly reason: string;
}

export interface PlatformErrorDetails {
  readonly platform: string;
  readonly httpStatus?: number | undefined;
  /** The platform's own code (Tencent 11017, TikTok 40100, Meta 17/2446079, Google RESOURCE_EXHAUSTED). */
  readonly platformCode?: string | undefined;
  readonly retryAfterMs?: number | undefined;
  readonly rows?: readonly RejectedRow[] | undefined;
}

const RETRYABLE: ReadonlySet<ActivationErrorCode> = new Set(['ACCORD_ERR_PLATFORM_UNAVAILABLE', 'ACCORD_ERR_PLATFORM_THROTTLED']);

export class ActivationError extends CodedError<ActivationErrorCode> {
  readonly platform: string;
  readonly httpStatus: number | undefined;
  readonly platformCode: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly rows: readonly RejectedRow[];

  constructor(code: ActivationErrorCode, detail: string, details: PlatformErrorDetails) {
    super(code, detail, { ...details });
    this.platform = details.platform;
    this.httpStatus = details.httpStatus;
    this.platformCode = details.platformCode;
    this.retryAfterMs = details.retryAfterMs;
    this.rows = details.rows ?? [];
  }

  /** Whether sending the same request again later may succeed. */
  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

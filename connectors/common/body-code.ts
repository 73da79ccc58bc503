/**
 * Platforms that answer errors inside HTTP 200 (Tencent, Ocean Engine, Kuaishou, TikTok:
 * `{code, message, ...}`, code 0 for success) and how their codes map onto ActivationError: each
 * connector lists its expired-token, rate-limit and transient codes; any other non-zero code is
 * a refusal.
 */
import { ActivationError } from '../../core/activation/activation-errors.ts';
import { TOKEN_EXPIRED } from './platform-client.ts';
import type { HttpResponse } from './platform-http.ts';
import { retryAfterMs } from './retry-after.ts';

export interface BodyCodes {
  readonly tokenExpired: readonly number[];
  /** Rate-limit codes, each with the wait its quota window implies (the platforms send no Retry-After). */
  readonly throttled: ReadonlyMap<number, number>;
  readonly transient: (code: number) => boolean;
  /** Codes refusing a change that would leave the audience below the minimum size. */
  readonly tooSmall?: readonly number[];
}

export function bodyCodeVerdict(platform: string, response: HttpResponse, codes: BodyCodes): ActivationError | typeof TOKEN_EXPIRED | undefined {
  const body = response.body as { code?: unknown; message?: unknown } | undefined;
  const code = typeof body === 'object' && body !== null ? Number(body.code ?? 0) : 0;
  if (code === 0 || Number.isNaN(code)) return undefined;
  if (codes.tokenExpired.includes(code)) return TOKEN_EXPIRED;
  const details = { platform, httpStatus: response.status, platformCode: String(code) };
  const message = `${platform}: code ${code}: ${String(body?.message ?? '')}`;
  if (codes.throttled.has(code)) return new ActivationError('ACCORD_ERR_PLATFORM_THROTTLED', message, { ...details, retryAfterMs: retryAfterMs(response.headers.get('retry-after')) ?? codes.throttled.get(code) });
  if (codes.transient(code)) return new ActivationError('ACCORD_ERR_PLATFORM_UNAVAILABLE', message, details);
  if (codes.tooSmall?.includes(code)) return new ActivationError('ACCORD_ERR_AUDIENCE_TOO_SMALL', message, details);
  return new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', message, details);
}

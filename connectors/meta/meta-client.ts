/**
 * Calls to Meta's Graph API: `access_token` as a parameter, errors as `{error:{code,
 * error_subcode, message, fbtrace_id}}` (HTTP 4xx/5xx). Code 190 is a dead token; system-user
 * tokens do not expire and user tokens cannot be refreshed by an API, so there is no refresh:
 * the owner reconnects. Throttling carries the wait in X-Business-Use-Case-Usage
 * (estimated_time_to_regain_access, minutes).
 */
import { ActivationError } from '../../core/activation/activation-errors.ts';
import { PlatformClient, TOKEN_EXPIRED, type PlatformDialect } from '../common/platform-client.ts';
import type { HttpResponse } from '../common/platform-http.ts';
import { retryAfterMs } from '../common/retry-after.ts';
import type { MetaAssumptions } from './meta-assumptions.ts';

interface GraphError {
  code?: number;
  error_subcode?: number;
  message?: string;
}

const TRANSIENT = new Set([1, 2]);

/** The longest wait any business use case in the header asks for, in ms. */
function bucWaitMs(header: string | null): number | undefined {
  if (!header) return undefined;
  try {
    const usage = JSON.parse(header) as Record<string, Array<{ estimated_time_to_regain_access?: number }>>;
    const minutes = Object.values(usage).flat().map((entry) => entry.estimated_time_to_regain_access ?? 0);
    return minutes.length > 0 ? Math.max(...minutes) * 60_000 : undefined;
  } catch {
    return undefined;
  }
}

export function metaClient(assumptions: MetaAssumptions): PlatformClient {
  const dialect: PlatformDialect = {
    platform: 'meta',
    hosts: { graph: 'https://graph.facebook.com' },
    authorize: (request, credentials) => ({ ...request, query: { ...request.query, access_token: credentials.accessToken } }),
    classify(response: HttpResponse) {
      const error = (response.body as { error?: GraphError } | undefined)?.error;
      if (!error) return undefined;
      const code = error.code ?? 0;
      const details = { platform: 'meta', httpStatus: response.status, platformCode: `${code}${error.error_subcode ? `/${error.error_subcode}` : ''}` };
      const message = `meta: ${error.message ?? 'error'} (${details.platformCode})`;
      if (code === 190) return TOKEN_EXPIRED;
      if (assumptions.throttleCodes.includes(code)) {
        const wait = bucWaitMs(response.headers.get('x-business-use-case-usage')) ?? retryAfterMs(response.headers.get('retry-after'));
        return new ActivationError('ACCORD_ERR_PLATFORM_THROTTLED', message, { ...details, retryAfterMs: wait });
      }
      if (code === assumptions.audienceTooSmall.code && error.error_subcode === assumptions.audienceTooSmall.subcode) return new ActivationError('ACCORD_ERR_AUDIENCE_TOO_SMALL', message, details);
      if (TRANSIENT.has(code) || response.status >= 500) return new ActivationError('ACCORD_ERR_PLATFORM_UNAVAILABLE', message, details);
      return new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', message, details);
    },
  };
  return new PlatformClient(dialect);
}

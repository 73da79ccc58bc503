/**
 * Calls to Google (Data Manager API, Google Ads API, OAuth): a bearer token from an OAuth refresh
 * token (Google Ads calls add the app's developer-token), errors as google.rpc.Status. 401 is an
 * expired token; 429 RESOURCE_EXHAUSTED names the quota in ErrorInfo and usually sends no
 * Retry-After, so the wait is the quota's window; INVALID_ARGUMENT naming audience members by
 * position becomes ACCORD_ERR_PLATFORM_ROWS_REJECTED, since Data Manager refuses the whole request.
 */
import { ActivationError } from '../../core/activation/activation-errors.ts';
import { PlatformClient, TOKEN_EXPIRED, type PlatformDialect } from '../common/platform-client.ts';
import { retryAfterMs } from '../common/retry-after.ts';

interface RpcStatus {
  code?: number;
  status?: string;
  message?: string;
  details?: Array<{ '@type'?: string; fieldViolations?: Array<{ field?: string; description?: string }>; metadata?: Record<string, string> }>;
}

const MEMBER_FIELD = /^audience_?members\[(\d+)\]/i;

function quotaWindowMs(status: RpcStatus): number | undefined {
  const quota = status.details?.find((detail) => detail.metadata?.quota_limit)?.metadata?.quota_limit ?? '';
  if (/PerMinute/i.test(quota)) return 60_000;
  if (/PerDay/i.test(quota)) return 3_600_000;
  return undefined;
}

function rejectedMembers(status: RpcStatus) {
  const violations = status.details?.flatMap((detail) => detail.fieldViolations ?? []) ?? [];
  const rows = new Map<number, string>();
  for (const violation of violations) {
    const index = MEMBER_FIELD.exec(violation.field ?? '')?.[1];
    if (index !== undefined && !rows.has(Number(index))) rows.set(Number(index), violation.description ?? 'invalid');
  }
  return [...rows].sort(([a], [b]) => a - b).map(([index, reason]) => ({ index, reason }));
}

export function googleClient(developerToken: string): PlatformClient {
  const dialect: PlatformDialect = {
    platform: 'google',
    hosts: { datamanager: 'https://datamanager.googleapis.com', ads: 'https://googleads.googleapis.com', oauth: 'https://oauth2.googleapis.com' },
    authorize: (request, credentials) => ({
      ...request,
      headers: { ...request.headers, authorization: `Bearer ${credentials.accessToken}`, ...(request.url.includes('/customers/') ? { 'developer-token': developerToken } : {}) },
    }),
    classify(response) {
      const status = (response.body as { error?: RpcStatus } | undefined)?.error;
      if (response.status < 400 || !status) return undefined;
      if (response.status === 401) return TOKEN_EXPIRED;
      const details = { platform: 'google', httpStatus: response.status, platformCode: status.status };
      const message = `google: ${status.status ?? response.status}: ${status.message ?? ''}`;
      if (response.status === 429) return new ActivationError('ACCORD_ERR_PLATFORM_THROTTLED', message, { ...details, retryAfterMs: retryAfterMs(response.headers.get('retry-after')) ?? quotaWindowMs(status) });
      const rows = rejectedMembers(status);
      if (status.status === 'INVALID_ARGUMENT' && rows.length > 0) return new ActivationError('ACCORD_ERR_PLATFORM_ROWS_REJECTED', message, { ...details, rows });
      return undefined;
    },
    async refresh(ctx, credentials) {
      const response = await client.send(ctx, {
        method: 'POST',
        url: client.url(ctx, 'oauth', '/token'),
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credentials.refreshToken ?? '', client_id: credentials.clientId ?? '', client_secret: credentials.clientSecret ?? '' }),
      });
      return { ...credentials, accessToken: String((response.body as { access_token: unknown }).access_token) };
    },
  };
  const client = new PlatformClient(dialect);
  return client;
}

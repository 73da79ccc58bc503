/**
 * Calls to The Trade Desk API v3 (reference §1.5): `TTD-Auth` header with an API token. The
 * error envelope is ❓, so only HTTP statuses are read (401 dead token, 429 with Retry-After, 5xx).
 * API tokens are issued by the platform UI or a login call, not refreshed, so a dead token is
 * ACCORD_ERR_PLATFORM_AUTH.
 */
import { PlatformClient } from '../common/platform-client.ts';

export function ttdClient(): PlatformClient {
  return new PlatformClient({
    platform: 'ttd',
    hosts: { api: 'https://api.thetradedesk.com' },
    authorize: (request, credentials) => ({ ...request, headers: { ...request.headers, 'ttd-auth': credentials.accessToken } }),
    classify: () => undefined,
  });
}

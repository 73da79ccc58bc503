/**
 * Calls to the Ocean Engine Marketing API (reference §1.8): `Access-Token` header, answers
 * `{code, message, request_id, data}` with errors inside HTTP 200; expired tokens are refreshed
 * with the OAuth refresh token (oauth2/refresh_token, 🟡).
 */
import { bodyCodeVerdict } from '../common/body-code.ts';
import { PlatformClient, type PlatformDialect } from '../common/platform-client.ts';
import type { OceanEngineAssumptions } from './oceanengine-assumptions.ts';

export function oceanEngineClient(assumptions: OceanEngineAssumptions): PlatformClient {
  const codes = {
    tokenExpired: assumptions.tokenExpiredCodes,
    throttled: new Map([[assumptions.rateLimitCode, assumptions.rateLimitWaitMs]]),
    transient: (code: number) => code >= 50000 && code < 60000,
  };
  const dialect: PlatformDialect = {
    platform: 'oceanengine',
    hosts: { api: 'https://ad.oceanengine.com', analytics: 'https://analytics.oceanengine.com' },
    authorize: (request, credentials) => ({ ...request, headers: { ...request.headers, 'access-token': credentials.accessToken } }),
    classify: (response) => bodyCodeVerdict('oceanengine', response, codes),
    async refresh(ctx, credentials) {
      const response = await client.send(ctx, {
        method: 'POST',
        url: client.url(ctx, 'api', '/open_api/oauth2/refresh_token/'),
        json: { app_id: credentials.clientId, secret: credentials.clientSecret, grant_type: 'refresh_token', refresh_token: credentials.refreshToken },
      });
      const data = (response.body as { data: { access_token: string; refresh_token?: string } }).data;
      return { ...credentials, accessToken: data.access_token, refreshToken: data.refresh_token ?? credentials.refreshToken };
    },
  };
  const client = new PlatformClient(dialect);
  return client;
}

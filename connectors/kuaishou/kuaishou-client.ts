/**
 * Calls to the Kuaishou Marketing API (reference §1.9): `Access-Token` header, answers
 * `{code, message, data, request_id}` with errors inside HTTP 200; tokens refreshed with the OAuth
 * refresh token. Codes are ❓ (kuaishou-assumptions.ts).
 */
import { bodyCodeVerdict } from '../common/body-code.ts';
import { PlatformClient, type PlatformDialect } from '../common/platform-client.ts';
import type { KuaishouAssumptions } from './kuaishou-assumptions.ts';

export function kuaishouClient(assumptions: KuaishouAssumptions): PlatformClient {
  const codes = {
    tokenExpired: assumptions.tokenExpiredCodes,
    throttled: new Map([[assumptions.rateLimitCode, assumptions.rateLimitWaitMs]]),
    transient: (code: number) => code >= 500000,
  };
  const dialect: PlatformDialect = {
    platform: 'kuaishou',
    hosts: { api: 'https://ad.e.kuaishou.com', track: 'http://ad.partner.gifshow.com' },
    authorize: (request, credentials) => ({ ...request, headers: { ...request.headers, 'access-token': credentials.accessToken } }),
    classify: (response) => bodyCodeVerdict('kuaishou', response, codes),
    async refresh(ctx, credentials) {
      const response = await client.send(ctx, {
        method: 'POST',
        url: client.url(ctx, 'api', assumptions.refreshPath),
        json: { app_id: credentials.clientId, secret: credentials.clientSecret, refresh_token: credentials.refreshToken },
      });
      const data = (response.body as { data: { access_token: string; refresh_token?: string } }).data;
      return { ...credentials, accessToken: data.access_token, refreshToken: data.refresh_token ?? credentials.refreshToken };
    },
  };
  const client = new PlatformClient(dialect);
  return client;
}

/**
 * Calls to the Tencent Marketing API v3.0 (reference §1.7): every call carries access_token,
 * timestamp (seconds, ±300 s) and a fresh nonce as query parameters; answers are
 * `{code, message, message_cn, data}`, errors inside HTTP 200. 11000/11002 are a dead token,
 * refreshed with the OAuth refresh token; 11016-11019 and 11008 are quotas per second, minute,
 * day; 30000-30099 are system errors worth retrying.
 */
import { randomUUID } from 'node:crypto';
import { bodyCodeVerdict, type BodyCodes } from '../common/body-code.ts';
import { PlatformClient, type PlatformDialect } from '../common/platform-client.ts';
import type { TencentAssumptions } from './tencent-assumptions.ts';

export const tencentCodes: BodyCodes = {
  tokenExpired: [11000, 11002],
  throttled: new Map([
    [11016, 1_000],
    [11017, 60_000],
    [11018, 3_600_000],
    [11019, 1_000],
    [11008, 60_000],
  ]),
  transient: (code) => code >= 30000 && code <= 30099,
};

export function tencentClient(assumptions: TencentAssumptions, now: () => number = Date.now): PlatformClient {
  const dialect: PlatformDialect = {
    platform: 'tencent',
    hosts: { api: 'https://api.e.qq.com' },
    authorize: (request, credentials) => ({
      ...request,
      query: { ...request.query, access_token: credentials.accessToken, timestamp: Math.floor(now() / 1000), nonce: randomUUID().replaceAll('-', '') },
    }),
    classify: (response) => bodyCodeVerdict('tencent', response, tencentCodes),
    async refresh(ctx, credentials) {
      const response = await client.send(ctx, {
        method: 'GET',
        url: client.url(ctx, 'api', assumptions.tokenPath),
        query: { client_id: credentials.clientId, client_secret: credentials.clientSecret, grant_type: 'refresh_token', refresh_token: credentials.refreshToken },
      });
      const data = (response.body as { data: { access_token: string; refresh_token?: string } }).data;
      return { ...credentials, accessToken: data.access_token, refreshToken: data.refresh_token ?? credentials.refreshToken };
    },
  };
  const client = new PlatformClient(dialect);
  return client;
}

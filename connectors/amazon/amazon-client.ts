/**
 * Calls to the Amazon Ads API (reference §1.6, 🟡): bearer token from Login with Amazon (refreshed
 * at /auth/o2/token with the refresh token), the app's Amazon-Advertising-API-ClientID, and the
 * AMC audiences content type. The error envelope is ❓, so HTTP statuses are read: 401 dead token,
 * 429 with Retry-After, 5xx.
 */
import { PlatformClient, type PlatformDialect } from '../common/platform-client.ts';

export const AMC_AUDIENCES_JSON = 'application/vnd.amcaudiences.v1+json';

export function amazonClient(): PlatformClient {
  const dialect: PlatformDialect = {
    platform: 'amazon',
    hosts: { api: 'https://advertising-api.amazon.com', auth: 'https://api.amazon.com' },
    authorize: (request, credentials) => ({
      ...request,
      headers: { ...request.headers, authorization: `Bearer ${credentials.accessToken}`, 'amazon-advertising-api-clientid': credentials.clientId ?? '', 'content-type': AMC_AUDIENCES_JSON },
    }),
    classify: () => undefined,
    async refresh(ctx, credentials) {
      const response = await client.send(ctx, {
        method: 'POST',
        url: client.url(ctx, 'auth', '/auth/o2/token'),
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credentials.refreshToken ?? '', client_id: credentials.clientId ?? '', client_secret: credentials.clientSecret ?? '' }),
      });
      const body = response.body as { access_token: string; refresh_token?: string };
      return { ...credentials, accessToken: body.access_token, refreshToken: body.refresh_token ?? credentials.refreshToken };
    },
  };
  const client = new PlatformClient(dialect);
  return client;
}

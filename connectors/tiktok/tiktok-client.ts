/**
 * Calls to TikTok API for Business v1.3 (reference §1.4): `Access-Token` header, answers
 * `{code, message, request_id, data}` with errors inside HTTP 200. Marketing API tokens are
 * long-lived and have no refresh call, so a dead token is ACCORD_ERR_PLATFORM_AUTH.
 */
import { bodyCodeVerdict } from '../common/body-code.ts';
import { PlatformClient } from '../common/platform-client.ts';
import type { TikTokAssumptions } from './tiktok-assumptions.ts';

export function tiktokClient(assumptions: TikTokAssumptions): PlatformClient {
  const codes = {
    tokenExpired: assumptions.tokenInvalidCodes,
    throttled: new Map([[assumptions.rateLimitCode, assumptions.rateLimitWaitMs]]),
    transient: (code: number) => code >= 50000 && code < 60000,
    tooSmall: [assumptions.audienceTooSmallCode],
  };
  return new PlatformClient({
    platform: 'tiktok',
    hosts: { api: 'https://business-api.tiktok.com' },
    authorize: (request, credentials) => ({ ...request, headers: { ...request.headers, 'access-token': credentials.accessToken } }),
    classify: (response) => bodyCodeVerdict('tiktok', response, codes),
  });
}

/**
 * Calls one platform on behalf of an account: adds the platform's auth, reads its verdict (HTTP
 * status or a code inside a 200 body) and, when the access token expired and the platform has a
 * refresh flow, refreshes once, hands the new credentials to the caller and repeats the call.
 * Each connector describes its platform in a PlatformDialect; this file holds what they share.
 */
import { ActivationError } from '../../core/activation/activation-errors.ts';
import type { Credentials } from '../../core/activation/credentials.ts';
import type { PlatformContext } from '../../core/activation/platform-context.ts';
import { sendHttp, type HttpRequest, type HttpResponse } from './platform-http.ts';
import { retryAfterMs } from './retry-after.ts';

/** A token the platform says has expired or is no longer valid: the one failure a refresh can cure. */
export const TOKEN_EXPIRED = Symbol('token expired');

export interface PlatformDialect {
  readonly platform: string;
  /** Production origins by name; a context's baseUrl replaces all of them. */
  readonly hosts: Readonly<Record<string, string>>;
  authorize(request: HttpRequest, credentials: Credentials): HttpRequest;
  /** The failure a response carries, undefined for success. HTTP statuses it leaves alone get the common reading (httpFailure). */
  classify(response: HttpResponse): ActivationError | typeof TOKEN_EXPIRED | undefined;
  /** Exchanges the refresh token for new credentials, on platforms that have one. */
  refresh?(ctx: PlatformContext, credentials: Credentials): Promise<Credentials>;
}

/** The common reading of an HTTP failure: 401 expired token, 429 throttled, 5xx unavailable, other 4xx refused. */
export function httpFailure(platform: string, response: HttpResponse, detail: string): ActivationError | typeof TOKEN_EXPIRED | undefined {
  const { status } = response;
  if (status < 400) return undefined;
  if (status === 401) return TOKEN_EXPIRED;
  const details = { platform, httpStatus: status, retryAfterMs: retryAfterMs(response.headers.get('retry-after')) };
  if (status === 429) return new ActivationError('ACCORD_ERR_PLATFORM_THROTTLED', detail, details);
  if (status >= 500) return new ActivationError('ACCORD_ERR_PLATFORM_UNAVAILABLE', detail, details);
  return new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', detail, details);
}

export class PlatformClient {
  constructor(readonly dialect: PlatformDialect) {}

  url(ctx: PlatformContext, host: string, path: string): string {
    const origin = ctx.baseUrl ?? this.dialect.hosts[host];
    if (origin === undefined) throw new TypeError(`${this.dialect.platform} has no host named ${host}`);
    return origin.replace(/\/+$/, '') + path;
  }

  /** An exchange without the platform's auth (token endpoints, click callbacks); failures classified the same way. */
  async send(ctx: PlatformContext, request: HttpRequest): Promise<HttpResponse> {
    const response = await sendHttp(this.dialect.platform, request, ctx.timeoutMs);
    const failure = this.verdict(response);
    if (failure === TOKEN_EXPIRED) throw this.authError(response);
    if (failure) throw failure;
    return response;
  }

  /** An authorised call: the response on success; ActivationError otherwise, after one refresh where that can help. */
  async call(ctx: PlatformContext, request: HttpRequest): Promise<HttpResponse> {
    const first = await this.attempt(ctx, request, ctx.credentials.current());
    if (first !== TOKEN_EXPIRED) return first;
    const { refresh } = this.dialect;
    if (!refresh) throw this.authError();
    const renewed = await refresh.call(this.dialect, ctx, ctx.credentials.current()).catch((error: unknown) => {
      // A refused refresh (revoked or expired refresh token) is an auth failure; an unavailable token endpoint stays retryable.
      throw error instanceof ActivationError && error.code === 'ACCORD_ERR_PLATFORM_REFUSED' ? this.authError() : error;
    });
    await ctx.credentials.refreshed(renewed);
    const second = await this.attempt(ctx, request, renewed);
    if (second === TOKEN_EXPIRED) throw this.authError();
    return second;
  }

  private async attempt(ctx: PlatformContext, request: HttpRequest, credentials: Credentials): Promise<HttpResponse | typeof TOKEN_EXPIRED> {
    const response = await sendHttp(this.dialect.platform, this.dialect.authorize(request, credentials), ctx.timeoutMs);
    const failure = this.verdict(response);
    if (failure === TOKEN_EXPIRED) return TOKEN_EXPIRED;
    if (failure) throw failure;
    return response;
  }

  private verdict(response: HttpResponse): ActivationError | typeof TOKEN_EXPIRED | undefined {
    return this.dialect.classify(response) ?? httpFailure(this.dialect.platform, response, `${this.dialect.platform} answered HTTP ${response.status}`);
  }

  private authError(response?: HttpResponse): ActivationError {
    const how = this.dialect.refresh ? 'and refreshing did not help' : 'and the platform has no refresh: new credentials are needed';
    return new ActivationError('ACCORD_ERR_PLATFORM_AUTH', `${this.dialect.platform} refused the access token ${how}`, { platform: this.dialect.platform, httpStatus: response?.status });
  }
}

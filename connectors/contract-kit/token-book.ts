/** Access and refresh tokens a fake issues; tests expire every access token on command. */
import { randomUUID } from 'node:crypto';
import type { Credentials } from '../../core/activation/credentials.ts';

export type TokenState = 'ok' | 'missing' | 'expired' | 'invalid';

export class TokenBook {
  readonly clientId = 'contract-client';
  readonly clientSecret = 'contract-secret';
  private readonly live = new Set<string>();
  private readonly expired = new Set<string>();
  private readonly refreshTokens = new Set<string>();

  /** New credentials; `withRefresh` on platforms whose tokens can be refreshed. */
  issue(withRefresh: boolean): Credentials {
    const accessToken = `access-${randomUUID()}`;
    this.live.add(accessToken);
    if (!withRefresh) return { accessToken };
    const refreshToken = `refresh-${randomUUID()}`;
    this.refreshTokens.add(refreshToken);
    return { accessToken, refreshToken, clientId: this.clientId, clientSecret: this.clientSecret };
  }

  check(token: string | undefined): TokenState {
    if (token === undefined || token === '') return 'missing';
    if (this.live.has(token)) return 'ok';
    return this.expired.has(token) ? 'expired' : 'invalid';
  }

  expireAll(): void {
    for (const token of this.live) this.expired.add(token);
    this.live.clear();
  }

  /** A new access token for a known refresh token and the right client, else undefined. */
  refresh(refreshToken: string | undefined, clientId: string | undefined, clientSecret: string | undefined): Credentials | undefined {
    if (!refreshToken || !this.refreshTokens.has(refreshToken) || clientId !== this.clientId || clientSecret !== this.clientSecret) return undefined;
    const accessToken = `access-${randomUUID()}`;
    this.live.add(accessToken);
    return { accessToken, refreshToken, clientId, clientSecret };
  }
}

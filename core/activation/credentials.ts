/**
 * Credentials a connector receives, in plain form: sealed storage opens them for the duration of a
 * call and stores what the connector hands back after refreshing an expired token. Which fields a
 * platform needs is the connector's business (README.md in connectors/ lists them).
 */
export interface Credentials {
  readonly accessToken: string;
  /** OAuth refresh token, on platforms whose access tokens expire (Google, Amazon, Tencent, Ocean Engine, Kuaishou). */
  readonly refreshToken?: string | undefined;
  /** OAuth client (app) id and secret: refreshing needs them, Amazon sends the id on every call. */
  readonly clientId?: string | undefined;
  readonly clientSecret?: string | undefined;
}

export interface CredentialSource {
  /** The credentials to use now. */
  current(): Credentials;
  /** Called with new credentials after the connector refreshed them; later current() calls return them. */
  refreshed(next: Credentials): Promise<void>;
}

/**
 * The console's only way to the node: the public API, same origin, with the session cookie the
 * browser attaches by itself and the CSRF token on every request that changes something.
 */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
  }
}

let csrfToken = '';
export const useCsrfToken = (token: string) => void (csrfToken = token);

export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: {
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(method === 'GET' ? {} : { 'x-csrf-token': csrfToken }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return undefined as T;
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Problem(response.status, String(data.code ?? 'ACCORD_ERR_INTERNAL'), String(data.detail ?? response.statusText));
  return data as T;
}

export const query = (params: Record<string, string | undefined>) =>
  new URLSearchParams(Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined)).toString();

export interface Session {
  role: 'privacy_officer' | 'marketer' | 'admin';
  scopes: string[];
  csrfToken: string;
  expiresAt: string;
}

export const holds = (session: Session, scope: string) => session.scopes.includes('admin') || session.scopes.includes(scope);

/** What every console page is given. */
export interface PageProps {
  session: Session;
}

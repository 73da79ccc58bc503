/**
 * One HTTP exchange with a platform over fetch: JSON in and out without losing big ids, a timeout,
 * and network failures turned into ACCORD_ERR_PLATFORM_UNAVAILABLE. What the answer means is
 * decided by the platform's client (platform-client.ts).
 */
import { ActivationError } from '../../core/activation/activation-errors.ts';
import { parseJson, toJson } from './lossless-json.ts';

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly url: string;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly headers?: Readonly<Record<string, string>>;
  /** A JSON body (lossless: bigint goes out as a bare number). */
  readonly json?: unknown;
  /** Any other body: multipart, form-encoded, text. */
  readonly body?: FormData | URLSearchParams | string;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON when the answer is JSON, else the text. */
  readonly body: unknown;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

export function urlOf(request: HttpRequest): URL {
  const url = new URL(request.url);
  for (const [name, value] of Object.entries(request.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
  return url;
}

export async function sendHttp(platform: string, request: HttpRequest, timeoutMs: number = DEFAULT_TIMEOUT_MS): Promise<HttpResponse> {
  const url = urlOf(request);
  const headers: Record<string, string> = { ...request.headers };
  let body: FormData | URLSearchParams | string | undefined = request.body;
  if (request.json !== undefined) {
    body = toJson(request.json);
    headers['content-type'] ??= 'application/json';
  }
  try {
    const response = await fetch(url, { method: request.method, headers, body, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    const json = /json/.test(response.headers.get('content-type') ?? '');
    return { status: response.status, headers: response.headers, body: json && text !== '' ? parseJson(text) : text };
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    throw new ActivationError('ACCORD_ERR_PLATFORM_UNAVAILABLE', `${request.method} ${url.origin}${url.pathname} ${timedOut ? `gave no answer within ${timeoutMs} ms` : `failed: ${(error as Error).message}`}`, { platform });
  }
}

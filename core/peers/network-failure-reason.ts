/**
 * Why an HTTP request got no answer, as a sentence an operator can act on. fetch (undici) rejects
 * with a bare `TypeError: fetch failed` and keeps the reason in its cause (ECONNREFUSED, ENOTFOUND,
 * UND_ERR_HEADERS_TIMEOUT, ...); our own deadline rejects with a TimeoutError that names nothing.
 * Callers put the reason after the request it belongs to.
 */

type Failure = { name?: string; code?: string; message?: string; address?: string; port?: number; errors?: Failure[] };

const asFailure = (value: unknown): Failure => (typeof value === 'object' && value !== null ? (value as Failure) : {});

/** `url` names the host when the cause does not; `timeoutMs` is the deadline the request had, if any. */
export function networkFailureReason(error: unknown, url?: URL, timeoutMs?: number): string {
  const failure = asFailure(error);
  if (failure.name === 'TimeoutError') return timeoutMs === undefined ? 'no answer in time' : `no answer within ${timeoutMs / 1000} s`;
  if (failure.name === 'AbortError') return 'the request was cancelled';
  const cause = asFailure((error as { cause?: unknown }).cause ?? error);
  // Node tries each address of a name in turn and reports them together.
  const code = cause.code ?? cause.errors?.[0]?.code;
  const host = url?.hostname ?? cause.address ?? 'the host';
  const hostPort = url ? `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}` : cause.address ? `${cause.address}:${cause.port}` : 'the host';
  switch (code) {
    case 'ECONNREFUSED':
      return `the connection was refused (nothing listens on ${hostPort})`;
    case 'ENOTFOUND':
      return `the host name ${host} is not known (DNS)`;
    case 'EAI_AGAIN':
      return `the host name ${host} could not be looked up now (DNS did not answer)`;
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return `${hostPort} closed the connection before it answered`;
    case 'UND_ERR_HEADERS_TIMEOUT':
      return `${hostPort} accepted the connection but sent no answer`;
    case 'UND_ERR_BODY_TIMEOUT':
      return `${hostPort} stopped sending its answer`;
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return `${hostPort} did not accept a connection in time`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `there is no network route to ${host}`;
  }
  if (code && /CERT|TLS|SSL/.test(code)) return `the TLS certificate of ${host} was not accepted (${code})`;
  if (cause.message === 'bad port') return `fetch does not call port ${url?.port ?? 'this port'}, one of the ports browsers block; use another`;
  if (cause.message === 'unexpected redirect') return 'it answered with a redirect, which is not followed';
  return code && !cause.message?.includes(code) ? `${cause.message} (${code})` : (cause.message ?? String(error));
}

/**
 * Starts a fake platform as a fastify app on 127.0.0.1 and a free port. Around every API route it
 * checks the access token, spends the rate budget and plays queued faults, answering each the
 * platform's way (FakeReplies); routes throw ContractViolation for requests that break the contract.
 * JSON is parsed losslessly: numbers arrive as LosslessNumber, so a fake can tell 9007199254740993
 * from a rounded id, and a quoted id from a bare one. Routes mark themselves `access: 'open'` (no
 * token, as click callbacks) or `access: 'none'` (token endpoints: no token, no faults, no budget).
 */
import multipart from '@fastify/multipart';
import fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { parse, stringify } from 'lossless-json';
import type { ContractServer } from './contract-server.ts';
import { ContractViolation } from './contract-violation.ts';
import type { FakePlatform } from './fake-platform.ts';
import type { Fault } from './fault-queue.ts';
import type { TokenState } from './token-book.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: 'token' | 'open' | 'none';
  }
}

export interface FakeReplies {
  auth(reply: FastifyReply, state: Exclude<TokenState, 'ok'>): FastifyReply;
  throttled(reply: FastifyReply, retryAfterSeconds: number): FastifyReply;
  unavailable(reply: FastifyReply): FastifyReply;
  /** An error inside HTTP 200, on platforms that answer that way; absent elsewhere. */
  errorIn200?(reply: FastifyReply, code: number | undefined): FastifyReply;
  violation(reply: FastifyReply, violation: ContractViolation): FastifyReply;
}

export interface FakeServerSpec {
  readonly state: FakePlatform;
  /** Whether the platform refreshes tokens (the credentials then carry a refresh token). */
  readonly refresh: boolean;
  tokenOf(request: FastifyRequest): string | undefined;
  /** Checks beyond the token that every authorised call must pass (Tencent timestamp and nonce). */
  checkCall?(request: FastifyRequest): void;
  readonly replies: FakeReplies;
  routes(app: FastifyInstance): void;
  /** Largest multipart file accepted; larger ones are a too_large violation. */
  readonly maxFileBytes?: number;
}

const JSON_TYPES = ['application/json', 'application/vnd.amcaudiences.v1+json'];

export async function startFakeServer(spec: FakeServerSpec): Promise<ContractServer> {
  const { state, replies } = spec;
  const app = fastify({ logger: false, forceCloseConnections: true, bodyLimit: 200 * 1024 * 1024 });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parse(body as string));
    } catch {
      done(new ContractViolation('invalid', 'the body is not JSON'));
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));
  app.setReplySerializer((payload) => stringify(payload) ?? 'null');
  await app.register(multipart, { limits: { fileSize: spec.maxFileBytes ?? 100 * 1024 * 1024 } });

  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config.access ?? 'token';
    if (access === 'none') return;
    if (access === 'token') {
      const token = state.tokens.check(spec.tokenOf(request));
      if (token !== 'ok') return replies.auth(reply, token);
      try {
        spec.checkCall?.(request);
      } catch (error) {
        if (error instanceof ContractViolation) return replies.violation(reply, error);
        throw error;
      }
    }
    const wait = state.budget.take();
    if (wait !== undefined) return replies.throttled(reply, wait);
    const fault = state.faults.nextCall();
    if (fault?.kind === 'unavailable') return replies.unavailable(reply);
    if (fault?.kind === 'timeout') return new Promise<never>(() => {}); // never answers; the server's close ends the socket
    if (fault?.kind === 'error_in_200') {
      if (!replies.errorIn200) throw new TypeError(`${state.name} does not answer errors inside HTTP 200`);
      return replies.errorIn200(reply, fault.code);
    }
  });

  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, _request, reply) => {
    if (error instanceof ContractViolation) return replies.violation(reply, error);
    if (error.code === 'FST_REQ_FILE_TOO_LARGE') return replies.violation(reply, new ContractViolation('too_large', 'the file is larger than the platform takes'));
    if (error.statusCode === 415) return replies.violation(reply, new ContractViolation('invalid', `content type not taken: ${error.message}`));
    return reply.code(500).send({ error: error.message });
  });

  spec.routes(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    credentials: state.tokens.issue(spec.refresh),
    state,
    expireTokens: () => state.tokens.expireAll(),
    inject: (fault: Fault) => state.faults.push(fault),
    limitRate: ({ calls, windowSeconds }) => state.budget.limit(calls, windowSeconds),
    close: () => app.close(),
  };
}

/**
 * The answers of platforms that put errors inside HTTP 200 (Tencent, Ocean Engine, Kuaishou,
 * TikTok): `{code, message, ...envelope, data}`, code 0 for success. A fake names its codes; this
 * builds its success answer and its FakeReplies (server failures still come as HTTP 503).
 */
import type { FastifyReply } from 'fastify';
import { ContractViolation } from './contract-violation.ts';
import type { FakeReplies } from './start-fake-server.ts';
import type { TokenState } from './token-book.ts';

export interface CodeIn200 {
  readonly tokenCode: (state: Exclude<TokenState, 'ok'>) => number;
  readonly rateLimitCode: number;
  readonly serverCode: number;
  readonly violationCode: (violation: ContractViolation) => number;
  /** Fields every answer carries besides code and message (request_id, message_cn). */
  readonly envelope: Readonly<Record<string, unknown>>;
}

export function codeIn200(codes: CodeIn200): { answer: (data: unknown) => unknown; refuse: (reply: FastifyReply, code: number, message: string) => FastifyReply; replies: FakeReplies } {
  const refuse = (reply: FastifyReply, code: number, message: string) => reply.code(200).send({ code, message, ...codes.envelope });
  return {
    answer: (data) => ({ code: 0, message: 'OK', ...codes.envelope, data }),
    refuse,
    replies: {
      auth: (reply, state) => refuse(reply, codes.tokenCode(state), `access token ${state}`),
      throttled: (reply) => refuse(reply, codes.rateLimitCode, 'too many requests'),
      unavailable: (reply) => reply.code(503).send({ code: codes.serverCode, message: 'service unavailable', ...codes.envelope }),
      errorIn200: (reply, code) => refuse(reply, code ?? codes.violationCode(new ContractViolation('invalid', 'refused by the test')), 'refused by the test'),
      violation: (reply, violation) => refuse(reply, codes.violationCode(violation), violation.message),
    },
  };
}

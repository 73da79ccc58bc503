/**
 * Every error leaves as RFC 9457 problem+json with a stable `code`. Errors raised on purpose carry a
 * catalogued code; fastify's own parsing errors are translated here; anything else is a 500 whose
 * detail is logged, not sent.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { httpStatusOf, titleOf } from '../errors.ts';

const fastifyCodes: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'ACCORD_ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'ACCORD_ERR_MALFORMED_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'ACCORD_ERR_PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'ACCORD_ERR_MALFORMED_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'ACCORD_ERR_MALFORMED_JSON',
};

interface Problem {
  code: string;
  detail: string;
  extensions?: Record<string, unknown>;
}

function classify(error: FastifyError & { extensions?: Record<string, unknown> }): Problem {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = error.validation.map((issue) => ({
      where: `${error.validationContext ?? 'request'}${issue.instancePath.replaceAll('/', '.')}`.replace(/\.$/, ''),
      message: issue.message,
    }));
    return { code: 'ACCORD_ERR_VALIDATION', detail: issues.map((i) => `${i.where}: ${i.message}`).join('; '), extensions: { issues } };
  }
  if (error.code && httpStatusOf(error.code) !== undefined) {
    return { code: error.code, detail: error.message, ...(error.extensions ? { extensions: error.extensions } : {}) };
  }
  const translated = error.code ? fastifyCodes[error.code] : undefined;
  if (translated) return { code: translated, detail: error.message };
  if (error instanceof SyntaxError && error.statusCode === 400) return { code: 'ACCORD_ERR_MALFORMED_JSON', detail: error.message };
  // Postgres "data exception" (class 22): a value the database cannot hold, such as a NUL character.
  if (typeof error.code === 'string' && /^22[0-9A-Z]{3}$/.test(error.code)) {
    return { code: 'ACCORD_ERR_INVALID_INPUT', detail: `a value cannot be stored: ${error.message}` };
  }
  return { code: 'ACCORD_ERR_INTERNAL', detail: 'the request could not be completed; see the server log with this request id' };
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: Problem): FastifyReply {
  const status = httpStatusOf(problem.code) ?? 500;
  return reply
    .code(status)
    .type('application/problem+json')
    .send({
      type: `urn:accord:error:${problem.code}`,
      title: titleOf(problem.code),
      status,
      detail: problem.detail,
      code: problem.code,
      instance: request.url,
      requestId: request.id,
      ...problem.extensions,
    });
}

/** For fastify's own routing errors (malformed URL, over-long parameter), which bypass hooks. */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id);
  sendProblem(request, reply, { code: 'ACCORD_ERR_VALIDATION', detail: `the URL cannot be used: ${error.message}` });
}

export const problemDetails = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = classify(error);
    if (problem.code === 'ACCORD_ERR_INTERNAL') request.log.error({ err: error }, 'request failed');
    return sendProblem(request, reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, { code: 'ACCORD_ERR_ROUTE_NOT_FOUND', detail: `${request.method} ${request.url} is not an endpoint of this node` }),
  );
});

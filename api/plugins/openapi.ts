/**
 * The OpenAPI 3.1 document at /openapi.json and its page at /docs. Each operation is described from
 * the route itself: its operationId from method and path (unless the route names one), its security
 * from the route's auth marker (auth.ts: an API-key scope, a node signature, or public), and the
 * problem+json answers it can give from what it takes (a body, parameters) and how it is guarded.
 * Errors a route raises in its own domain (409, 422, 502, …) are its `default` problem response.
 * A body whose schema accepts nothing (defaults fill it) is marked not required.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { markRoutesPublic } from './auth.ts';

const PROBLEM = '#/components/schemas/Problem';

/** The problem responses every operation may refer to, by status. */
const problemResponses: Record<string, string> = {
  '400': 'The request does not match the schema (ACCORD_ERR_VALIDATION, with `issues`) or its JSON is malformed',
  '401': 'No credentials, or credentials that are not valid',
  '403': 'The credentials lack the scope (or grant) this operation needs',
  '404': 'What the path names does not exist in the caller\'s tenant',
  '413': 'The body is larger than the node accepts',
  '415': 'The body is not of a content type the operation takes',
  '429': 'Too many requests from this key and address; retry later',
  '500': 'The node failed; the log has the detail under the request id',
  default: 'Any other problem the operation can raise (a conflict 409, a refused value 422, a peer failure 502, …); `code` names it',
};

const securitySchemes = {
  bearerApiKey: { type: 'http', scheme: 'bearer', bearerFormat: 'accord_<id>_<secret>', description: 'An API key (`POST /v1/keys`, or `accord keys create`), as `Authorization: Bearer <key>`' },
  headerApiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'The same API key in the `X-API-Key` header' },
  collectionToken: {
    type: 'http',
    scheme: 'AccordCollect',
    description: 'A collection token the brand minted for one person (`POST /v1/consent/collection-tokens`), as `Authorization: AccordCollect <token>`',
  },
  nodeSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'accord-signature',
    description: 'A peer node\'s Ed25519 signature over method, path, body digest, timestamp and nonce, with the headers accord-node, accord-recipient, accord-timestamp and accord-nonce; the key must be pinned by a tenant of this node',
  },
} as const;

const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details; clients match on `code`',
  required: ['type', 'title', 'status', 'detail', 'code', 'instance', 'requestId'],
  properties: {
    type: { type: 'string', description: 'urn:accord:error:<code>' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', description: 'Stable error code, ACCORD_ERR_…' },
    instance: { type: 'string' },
    requestId: { type: 'string' },
    issues: { type: 'array', items: { type: 'object', properties: { where: { type: 'string' }, message: { type: 'string' } } } },
  },
  additionalProperties: true,
};

const tagDescriptions: Record<string, string> = {
  system: 'Health, readiness and the node identity',
  admin: 'API keys, console users and workspaces (admin scope)',
  peers: 'Peer nodes and their pinned keys',
  records: 'Audit events and processing records',
  jobs: 'Background jobs',
  consent: 'Purposes, notices, consent events, checkpoints and signals',
  privacy: 'Data-subject requests: access, erasure, rectification',
  ingest: 'Member, order and event files and batches',
  tags: 'Static, SQL, rule and built-in tags',
  segments: 'Segments, estimates and portraits',
  persons: 'Finding a person by an identifier',
  collaborations: 'Collaborations between nodes and their approvals',
  psi: 'Private set intersection runs',
  node: 'Node-to-node calls, signed by the calling node',
};

const words = (text: string) => text.split(/[^A-Za-z0-9]+/).filter(Boolean);
const capitalised = (word: string) => word[0]!.toUpperCase() + word.slice(1);

/** `POST /v1/segments/:id/refresh` → `postSegmentsByIdRefresh`. */
export function operationIdOf(method: string, url: string): string {
  const parts = url
    .split('/')
    .filter((part) => part && part !== 'v1')
    .map((part) => (part.startsWith(':') ? `By${words(part).map(capitalised).join('')}` : part === '*' ? 'Wildcard' : words(part).map(capitalised).join('')));
  return method.toLowerCase() + parts.join('');
}

interface Described {
  securityFor: Array<Record<string, string[]>>;
  statuses: string[];
  optionalBody: boolean;
}

function securityOf(route: RouteOptions): Array<Record<string, string[]>> {
  const config = (route.config ?? {}) as { scope?: unknown; nodeAuth?: true; public?: string };
  if (config.nodeAuth) return [{ nodeSignature: [] }];
  if (config.public !== undefined) return [];
  return [{ bearerApiKey: [] }, { headerApiKey: [] }];
}

function statusesOf(route: RouteOptions, schema: Record<string, unknown>, security: Array<Record<string, string[]>>): string[] {
  const config = (route.config ?? {}) as { rateLimit?: unknown; scope?: unknown };
  const statuses = new Set<string>();
  if (schema.body || schema.querystring || schema.params) statuses.add('400');
  if (security.length > 0) statuses.add('401');
  if (config.scope !== undefined || security.some((s) => 'collectionToken' in s)) statuses.add('403');
  if (route.url.includes(':')) statuses.add('404');
  if (schema.body) ['413', '415'].forEach((s) => statuses.add(s));
  if (config.rateLimit !== false) statuses.add('429');
  return [...statuses, '500', 'default'];
}

function acceptsNoBody(body: unknown): boolean {
  const parse = (body as { safeParse?: (value: unknown) => { success: boolean } } | undefined)?.safeParse;
  return typeof parse === 'function' && parse.call(body, undefined).success;
}

export const openApi = fp(async (app: FastifyInstance, { version }: { version: string }) => {
  const described = new Map<string, Described>();
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Accord node API',
        version,
        description: 'Consent-gated data collaboration. Errors are application/problem+json with a stable `code`.',
        license: { name: 'Proprietary; the operator\'s terms apply' },
        contact: { name: 'The operator of this node' },
      },
      servers: [{ url: '/', description: 'The node that serves this document' }],
      tags: Object.entries(tagDescriptions).map(([name, description]) => ({ name, description })),
      components: { securitySchemes: securitySchemes as never },
    },
    transform: (input) => {
      const { schema, url } = jsonSchemaTransform(input as Parameters<typeof jsonSchemaTransform>[0]);
      const route = input.route as RouteOptions;
      const method = [route.method].flat()[0]!;
      const given = (input.schema ?? {}) as Record<string, unknown>;
      const operationId = (given.operationId as string | undefined) ?? operationIdOf(method, url);
      const securityFor = (given.security as Described['securityFor'] | undefined) ?? securityOf(route);
      described.set(operationId, { securityFor, statuses: statusesOf(route, given, securityFor), optionalBody: given.body !== undefined && acceptsNoBody(given.body) });
      return { schema: { ...schema, operationId, security: securityFor } as typeof schema, url };
    },
    transformObject: (input) => {
      const openapiObject = 'openapiObject' in input ? input.openapiObject : {};
      const document = openapiObject as { components?: Record<string, Record<string, unknown>>; paths?: Record<string, Record<string, Record<string, unknown>>> };
      document.components = { ...document.components, schemas: { ...document.components?.schemas, Problem: problemSchema } };
      const used = new Set<string>();
      for (const operations of Object.values(document.paths ?? {})) {
        for (const operation of Object.values(operations)) {
          const about = described.get(operation.operationId as string);
          if (!about) continue;
          const responses = (operation.responses ?? {}) as Record<string, unknown>;
          for (const status of about.statuses) {
            responses[status] = { $ref: `#/components/responses/Problem${status === 'default' ? 'Default' : status}` };
            used.add(status);
          }
          operation.responses = responses;
          if (about.optionalBody && operation.requestBody) (operation.requestBody as { required: boolean }).required = false;
        }
      }
      document.components.responses = Object.fromEntries(
        [...used].map((status) => [`Problem${status === 'default' ? 'Default' : status}`, { description: problemResponses[status], content: { 'application/problem+json': { schema: { $ref: PROBLEM } } } }]),
      );
      return openapiObject;
    },
  });
  const apiDescription = 'the description of this API, which holds no data';
  await app.register(async (docs) => {
    markRoutesPublic(docs, `the interactive page of ${apiDescription}`);
    await docs.register(swaggerUi, { routePrefix: '/docs' });
  });
  app.get('/openapi.json', { schema: { hide: true }, config: { rateLimit: false, public: apiDescription } }, async () => app.swagger());
});

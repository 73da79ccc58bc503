/**
 * Collection points without an API key: the brand's backend mints a token for the signed-in
 * person, and the page records that person's choices with it. Events for any other subject, or for
 * purposes the token does not list, are refused; so is every forged, altered or expired token.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { issueCollectionToken, MAX_COLLECTION_TOKEN_TTL_SECONDS, openCollectionToken } from '../../core/consent/collection-tokens.ts';
import { consentGroupCommitOf } from '../../core/consent/consent-group-commit.ts';
import type { Database } from '../../core/db/schema.ts';
import type { NodeIdentity } from '../../core/identity/node-identity.ts';
import { ApiError } from '../errors.ts';
import { principalOf } from '../plugins/auth.ts';
import { eventBody } from './consent-event-body.ts';

const SCHEME = /^accordcollect\s+(\S+)$/i;

export const consentCollectionRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database>; identity: NodeIdentity }> = async (app, { db, identity }) => {
  app.post(
    '/v1/consent/collection-tokens',
    {
      config: { scope: 'consent:write' },
      schema: {
        tags: ['consent'],
        summary: 'Mint a token a web form or app uses to record one person\'s consent choices',
        body: z.object({
          subject: z.string().min(1).max(200),
          purposes: z.array(z.string().min(1).max(200)).min(1).max(50).optional(),
          ttlSeconds: z.number().int().positive().max(MAX_COLLECTION_TOKEN_TTL_SECONDS).default(900),
        }),
        response: { 201: z.object({ token: z.string(), tokenId: z.string(), expiresAt: z.string() }) },
      },
    },
    async (request, reply) => {
      const issued = issueCollectionToken(identity, { tenantId: principalOf(request).tenantId, ...request.body });
      return reply.code(201).send({ token: issued.token, tokenId: issued.tokenId, expiresAt: issued.expiresAt.toISOString() });
    },
  );

  app.post(
    '/v1/consent/collect',
    {
      // A person's browser or app calls it; the handler checks the collection token the brand minted for that person.
      config: { public: 'authenticated by a collection token (Authorization: AccordCollect), checked by the handler' },
      schema: {
        tags: ['consent'],
        summary: 'Record the token holder\'s own consent choices (Authorization: AccordCollect <token>)',
        body: z.object({ events: z.array(z.strictObject(eventBody.omit({ subject: true }).shape)).min(1).max(20) }),
        response: { 201: z.object({ results: z.array(z.object({ seq: z.number(), duplicate: z.boolean() })) }) },
      },
    },
    async (request, reply) => {
      const presented = SCHEME.exec(request.headers.authorization ?? '')?.[1];
      const grant = presented && openCollectionToken(identity, presented);
      if (!grant) throw new ApiError('ACCORD_ERR_UNAUTHENTICATED', 'send a valid, unexpired collection token as "Authorization: AccordCollect <token>"');
      const outside = request.body.events.find((event) => grant.purposes && !grant.purposes.includes(event.purpose));
      if (outside) throw new ApiError('ACCORD_ERR_FORBIDDEN', `this collection token does not cover purpose ${outside.purpose}`);
      const events = request.body.events.map((event) => ({
        ...event,
        subject: grant.subject,
        evidence: { ...event.evidence, collectionToken: grant.tokenId },
      }));
      const recorded = await consentGroupCommitOf(db).record(grant.tenantId, events);
      return reply.code(201).send({ results: recorded.map(({ seq, duplicate }) => ({ seq, duplicate })) });
    },
  );
};

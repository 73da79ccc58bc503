/**
 * What the hosted preference centre reads and changes for the person holding a collection token
 * (the link the brand sends, see consent-collection-routes.ts): the purposes the token covers in
 * plain words, whether each is agreed now, and their contact preferences. Choices about consent go
 * through POST /v1/consent/collect with the same token; contact preferences are changed here. A
 * token answers only for its own subject; forged, altered and expired tokens are refused alike.
 */
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { openCollectionToken } from '../../core/consent/collection-tokens.ts';
import { currentPreferences } from '../../core/consent/read-preferences.ts';
import { recordPreferenceChange } from '../../core/consent/record-preference-change.ts';
import { subjectConsentState } from '../../core/consent/subject-consent-state.ts';
import type { Database } from '../../core/db/schema.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import type { NodeIdentity } from '../../core/identity/node-identity.ts';
import { firstPartyRegimeOf } from '../../core/tenancy/first-party-regime.ts';
import { ApiError } from '../errors.ts';

const SCHEME = /^accordcollect\s+(\S+)$/i;
const byToken = 'authenticated by a collection token (Authorization: AccordCollect), checked by the handler';

export const preferenceCentreRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database>; identity: NodeIdentity }> = async (app, { db, identity }) => {
  const grantOf = (request: FastifyRequest) => {
    const presented = SCHEME.exec(request.headers.authorization ?? '')?.[1];
    const grant = presented && openCollectionToken(identity, presented);
    if (!grant) throw new ApiError('ACCORD_ERR_UNAUTHENTICATED', 'this link is not valid or has expired; ask for a new one');
    return grant;
  };

  app.get(
    '/v1/preference-centre',
    {
      config: { public: byToken },
      schema: {
        tags: ['preferences'],
        summary: "The token holder's purposes (in plain words) with their current choice, and their contact preferences",
        response: {
          200: z.object({
            regime: z.string(),
            purposes: z.array(z.object({ key: z.string(), name: z.string(), mechanism: z.string(), granted: z.boolean(), decidedAt: z.string().nullable() })),
            channels: z.record(z.string(), z.string()),
            expiresAt: z.string(),
          }),
        },
      },
    },
    async (request, reply) => {
      const grant = grantOf(request);
      reply.header('cache-control', 'no-store');
      return withTenant(db, grant.tenantId, async (trx) => {
        const regime = await firstPartyRegimeOf(trx);
        let query = trx.selectFrom('consent_purposes').select(['key', 'name', 'mechanism']).orderBy('key');
        if (grant.purposes) query = query.where('key', 'in', grant.purposes.length > 0 ? grant.purposes : ['']);
        const purposes = await query.execute();
        const state = (await subjectConsentState(trx, grant.subject)).filter((decision) => decision.regime === regime && decision.recipient === '');
        const preferences = await currentPreferences(trx, grant.subject);
        return {
          regime,
          purposes: purposes.map((purpose) => {
            const decision = state.find((d) => d.purpose === purpose.key);
            return { ...purpose, granted: decision?.granted ?? false, decidedAt: decision?.decidedAt.toISOString() ?? null };
          }),
          channels: preferences.preferences.channels,
          expiresAt: grant.expiresAt.toISOString(),
        };
      });
    },
  );

  app.patch(
    '/v1/preference-centre/channels',
    {
      config: { public: byToken },
      schema: {
        tags: ['preferences'],
        summary: "Change the token holder's contact channels (opt in or out per channel)",
        body: z.strictObject({ clientChangeId: z.string().min(1).max(200), channels: z.record(z.string().max(40), z.enum(['opt_in', 'opt_out'])).refine((map) => Object.keys(map).length <= 20, 'at most 20 channels') }),
        response: { 200: z.object({ channels: z.record(z.string(), z.string()) }) },
      },
    },
    async (request) => {
      const grant = grantOf(request);
      const recorded = await withTenant(db, grant.tenantId, (trx) =>
        recordPreferenceChange(trx, {
          clientChangeId: request.body.clientChangeId,
          subject: grant.subject,
          mode: 'merge',
          actor: `collection-token:${grant.tokenId}`,
          channel: 'web',
          source: 'preference-centre',
          collectedAt: new Date(),
          preferences: { channels: request.body.channels },
        }),
      );
      return { channels: recorded.preferences.channels };
    },
  );
};

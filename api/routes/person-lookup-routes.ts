/**
 * Finding one person by an identifier (an e-mail, a phone number, a member id, …): the identifier
 * is normalised and found by its keyed lookup hash, never by listing or scanning identifiers. It
 * travels in the body, not the URL, so it stays out of access logs; the audit event names its type
 * and the person found, never its value. An identifier nobody has and one whose person is gone get
 * the same 404. The answer links the person's consent timeline.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { recordAuditEvent } from '../../core/audit/audit-log.ts';
import type { Database } from '../../core/db/schema.ts';
import { AccordError, notFound } from '../../core/errors.ts';
import { IdentifierKeys } from '../../core/identifiers/identifier-keys.ts';
import { personsOfIdentifiers } from '../../core/identifiers/identifier-persons.ts';
import { actorOf, inCallerTenant } from '../plugins/auth.ts';

export const personLookupRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database>; masterKey: Uint8Array }> = async (app, { db, masterKey }) => {
  const identifierKeys = new IdentifierKeys(masterKey);

  app.post(
    '/v1/persons/lookup',
    {
      config: { scope: ['privacy:admin', 'data:read'] },
      schema: {
        tags: ['persons'],
        summary: 'The person an identifier names (email, phone, member_id with its scope, …), found by its keyed hash; with the link to their consent timeline',
        body: z.object({
          type: z.string().min(1).max(40),
          value: z.string().min(1).max(1024),
          scope: z.string().min(1).max(128).optional().describe('the issuing programme or app, for scoped types (member_id, wechat_openid, …)'),
          region: z.string().length(2).optional().describe('ISO 3166 region for a national phone number; CN when absent'),
        }),
        response: {
          200: z.object({
            personId: z.number(),
            subject: z.string().describe('the consent subject the person is gated under'),
            links: z.object({ consentHistory: z.string(), preferences: z.string(), tags: z.string() }),
          }),
        },
      },
    },
    async (request) => {
      const person = await inCallerTenant(db, request, async (trx) => {
        const [found] = await personsOfIdentifiers(trx, identifierKeys, [request.body]);
        if ('invalid' in found!) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `the ${request.body.type} cannot be used: ${found.detail}`);
        const person = 'personId' in found! ? await trx.selectFrom('persons').select(['id', 'subject']).where('id', '=', found.personId).executeTakeFirst() : undefined;
        await recordAuditEvent(trx, { actor: actorOf(request), action: 'persons.looked_up', targetType: 'person', targetId: person ? String(person.id) : '-', details: { identifierType: request.body.type, found: person !== undefined } });
        return person;
      });
      // After the commit, so a lookup that found nobody is audited too.
      if (!person) throw notFound('person with this identifier');
      const subject = encodeURIComponent(person.subject);
      return {
        personId: Number(person.id),
        subject: person.subject,
        links: { consentHistory: `/v1/consent/history?subject=${subject}`, preferences: `/v1/consent/preferences/${subject}/history`, tags: `/v1/persons/${person.id}/tags` },
      };
    },
  );
};

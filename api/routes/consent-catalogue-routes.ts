/**
 * Reading the consent catalogue: purposes, and notice versions (the latest of each notice per
 * language, one version, every version of a notice). A notice's text is never stored, only its
 * hash, so a version shows what it disclosed (purposes, recipients, data categories) and the hash.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { findNotice, latestNotices, noticeVersions, type Notice } from '../../core/consent/notices.ts';
import { findPurpose, listPurposes } from '../../core/consent/purposes.ts';
import type { Database } from '../../core/db/schema.ts';
import { notFound } from '../../core/errors.ts';
import { inCallerTenant } from '../plugins/auth.ts';

const reader = { scope: ['consent:read', 'privacy:admin'] as const };
const basis = z.enum(['consent', 'opt_out']);
const purposeView = z.object({
  key: z.string(),
  name: z.string(),
  mechanism: z.enum(['opt_in', 'opt_out', 'notice_only']),
  legalBasis: z.object({ pipl: basis.optional(), gdpr: basis.optional(), ccpa: basis.optional() }),
  retentionDays: z.number().nullable(),
  sensitiveCategory: z.string().nullable(),
  requiresNamedRecipient: z.boolean(),
  crossBorder: z.boolean(),
  publicDisclosure: z.boolean(),
});
const noticeView = z.object({
  id: z.uuid(),
  noticeKey: z.string(),
  version: z.number(),
  language: z.string(),
  contentHash: z.string().describe('SHA-256 of the NFC text shown, hex'),
  purposes: z.array(z.string()),
  recipients: z.array(z.string()),
  dataCategories: z.array(z.string()),
  createdAt: z.string(),
  disabledAt: z.string().nullable(),
});
const toNoticeView = (notice: Notice): z.output<typeof noticeView> => ({
  ...notice,
  contentHash: Buffer.from(notice.contentHash).toString('hex'),
  createdAt: notice.createdAt.toISOString(),
  disabledAt: notice.disabledAt?.toISOString() ?? null,
});
const noticeParams = z.object({ id: z.uuid() });

export const consentCatalogueRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database> }> = async (app, { db }) => {
  app.get('/v1/consent/purposes', { config: reader, schema: { tags: ['consent'], summary: "The tenant's purposes, by key", response: { 200: z.object({ purposes: z.array(purposeView) }) } } }, async (request) => ({
    purposes: await inCallerTenant(db, request, listPurposes),
  }));

  app.get(
    '/v1/consent/purposes/:key',
    { config: reader, schema: { tags: ['consent'], summary: 'One purpose', params: z.object({ key: z.string().min(1).max(200) }), response: { 200: purposeView } } },
    async (request) => {
      const purpose = await inCallerTenant(db, request, (trx) => findPurpose(trx, request.params.key));
      if (!purpose) throw notFound('purpose');
      return purpose;
    },
  );

  app.get('/v1/consent/notices', { config: reader, schema: { tags: ['consent'], summary: 'The latest version of each notice in each language', response: { 200: z.object({ notices: z.array(noticeView) }) } } }, async (request) => ({
    notices: (await inCallerTenant(db, request, latestNotices)).map(toNoticeView),
  }));

  app.get('/v1/consent/notices/:id', { config: reader, schema: { tags: ['consent'], summary: 'One notice version', params: noticeParams, response: { 200: noticeView } } }, async (request) => {
    const notice = await inCallerTenant(db, request, (trx) => findNotice(trx, request.params.id));
    if (!notice) throw notFound('notice');
    return toNoticeView(notice);
  });

  app.get(
    '/v1/consent/notices/:id/versions',
    { config: reader, schema: { tags: ['consent'], summary: 'Every version of this notice in its language, oldest first', params: noticeParams, response: { 200: z.object({ versions: z.array(noticeView) }) } } },
    async (request) => {
      const versions = await inCallerTenant(db, request, async (trx) => {
        const notice = await findNotice(trx, request.params.id);
        if (!notice) throw notFound('notice');
        return noticeVersions(trx, notice.noticeKey, notice.language);
      });
      return { versions: versions.map(toNoticeView) };
    },
  );
};

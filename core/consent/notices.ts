/**
 * Notice versions: immutable, identified by key, version and language, with the SHA-256 of the exact
 * text shown. A consent cites the version. Versions are disabled, never deleted or edited.
 */
import { createHash } from 'node:crypto';
import { ConsentError } from '../../consent/consent-errors.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { scopeAdditions } from '../../consent/notice-scope.ts';
import { enqueueJob } from '../jobs/enqueue-job.ts';
import { findPurpose } from './purposes.ts';

export interface NoticeInput {
  noticeKey: string;
  language: string;
  /** The text as shown to people; stored only as its hash. */
  content: string;
  purposes: string[];
  recipients: string[];
  dataCategories: string[];
}

export interface Notice {
  id: string;
  noticeKey: string;
  version: number;
  language: string;
  contentHash: Uint8Array;
  purposes: string[];
  recipients: string[];
  dataCategories: string[];
  createdAt: Date;
  disabledAt: Date | null;
}

const columns = ['id', 'notice_key', 'version', 'language', 'content_hash', 'purposes', 'recipients', 'data_categories', 'created_at', 'disabled_at'] as const;

type NoticeRow = { id: string; notice_key: string; version: number; language: string; content_hash: Uint8Array; purposes: string[]; recipients: string[]; data_categories: string[]; created_at: Date; disabled_at: Date | null };

const toNotice = (row: NoticeRow): Notice => ({
  id: row.id,
  noticeKey: row.notice_key,
  version: row.version,
  language: row.language,
  contentHash: row.content_hash,
  purposes: row.purposes,
  recipients: row.recipients,
  dataCategories: row.data_categories,
  createdAt: row.created_at,
  disabledAt: row.disabled_at,
});

/** Invalidates the consents given under earlier versions when a version widens the scope. */
export const INVALIDATE_SUPERSEDED_CONSENTS_JOB = 'consent.invalidate-superseded';

/**
 * Publishes the next version of a notice in a language. When it discloses more than the version
 * before it (a purpose, recipient or data category), consents given under earlier versions are
 * invalidated by a job enqueued in the same transaction.
 */
export async function publishNotice(trx: TenantTransaction, input: NoticeInput): Promise<Notice> {
  if (input.purposes.length === 0) throw new ConsentError('ACCORD_ERR_CONSENT_INVALID', 'a notice names at least one purpose');
  for (const key of input.purposes) {
    if (!(await findPurpose(trx, key))) throw new ConsentError('ACCORD_ERR_CONSENT_UNKNOWN_PURPOSE', `unknown purpose ${key}`);
  }
  const latest = await trx
    .selectFrom('consent_notices')
    .select((eb) => eb.fn.max('version').as('version'))
    .where('notice_key', '=', input.noticeKey)
    .where('language', '=', input.language)
    .executeTakeFirst();
  const row = await trx
    .insertInto('consent_notices')
    .values({
      tenant_id: trx.tenantId,
      notice_key: input.noticeKey,
      version: (latest?.version ?? 0) + 1,
      language: input.language,
      content_hash: createHash('sha256').update(input.content.normalize('NFC')).digest(),
      purposes: input.purposes,
      recipients: input.recipients,
      data_categories: input.dataCategories,
    })
    .returning(columns)
    .executeTakeFirstOrThrow();
  const published = toNotice(row);
  const previous = await trx.selectFrom('consent_notices').select(columns).where('notice_key', '=', published.noticeKey).where('language', '=', published.language).where('version', '=', published.version - 1).executeTakeFirst();
  if (previous && scopeAdditions(toNotice(previous), published).length > 0) {
    await enqueueJob(trx, INVALIDATE_SUPERSEDED_CONSENTS_JOB, { noticeId: published.id });
  }
  return published;
}

/** Versions published after `cited` in its key and language, oldest first. */
export async function laterVersionsOf(trx: TenantTransaction, cited: Notice): Promise<Notice[]> {
  const rows = await trx
    .selectFrom('consent_notices')
    .select(columns)
    .where('notice_key', '=', cited.noticeKey)
    .where('language', '=', cited.language)
    .where('version', '>', cited.version)
    .orderBy('version')
    .execute();
  return rows.map(toNotice);
}

/** The first later version, published by `at`, that discloses more than `cited`: a grant citing `cited` then was given to outdated text. */
export function supersedingAt(cited: Notice, later: readonly Notice[], at: Date): Notice | undefined {
  return later.find((notice) => notice.createdAt.getTime() <= at.getTime() && scopeAdditions(cited, notice).length > 0);
}
/** The latest version of each notice in each language, by key and language. */
export async function latestNotices(trx: TenantTransaction): Promise<Notice[]> {
  const rows = await trx
    .selectFrom('consent_notices')
    .select(columns)
    .distinctOn(['notice_key', 'language'])
    .orderBy('notice_key')
    .orderBy('language')
    .orderBy('version', 'desc')
    .execute();
  return rows.map(toNotice);
}

/** Every version of a notice in a language, oldest first. */
export async function noticeVersions(trx: TenantTransaction, noticeKey: string, language: string): Promise<Notice[]> {
  const rows = await trx.selectFrom('consent_notices').select(columns).where('notice_key', '=', noticeKey).where('language', '=', language).orderBy('version').execute();
  return rows.map(toNotice);
}

export async function findNotice(trx: TenantTransaction, id: string): Promise<Notice | undefined> {
  const row = await trx.selectFrom('consent_notices').select(columns).where('id', '=', id).executeTakeFirst();
  return row && toNotice(row);
}

export async function disableNotice(trx: TenantTransaction, id: string): Promise<void> {
  await trx.updateTable('consent_notices').set({ disabled_at: new Date() }).where('id', '=', id).where('disabled_at', 'is', null).execute();
}

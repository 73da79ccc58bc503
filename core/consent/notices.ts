/**
 * Notice versions: immutable, identified by key, version and language, with the SHA-256 of the exact
 * text shown. A consent cites the version. Versions are disabled, never deleted or edited.
 */
import { createHash } from 'node:crypto';
import { ConsentError } from '../../consent/consent-errors.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
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
  createdAt: Date;
  disabledAt: Date | null;
}

const columns = ['id', 'notice_key', 'version', 'language', 'content_hash', 'purposes', 'recipients', 'created_at', 'disabled_at'] as const;

type NoticeRow = { id: string; notice_key: string; version: number; language: string; content_hash: Uint8Array; purposes: string[]; recipients: string[]; created_at: Date; disabled_at: Date | null };

const toNotice = (row: NoticeRow): Notice => ({
  id: row.id,
  noticeKey: row.notice_key,
  version: row.version,
  language: row.language,
  contentHash: row.content_hash,
  purposes: row.purposes,
  recipients: row.recipients,
  createdAt: row.created_at,
  disabledAt: row.disabled_at,
});

/** Publishes the next version of a notice in a language. */
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
  return toNotice(row);
}

export async function findNotice(trx: TenantTransaction, id: string): Promise<Notice | undefined> {
  const row = await trx.selectFrom('consent_notices').select(columns).where('id', '=', id).executeTakeFirst();
  return row && toNotice(row);
}

export async function disableNotice(trx: TenantTransaction, id: string): Promise<void> {
  await trx.updateTable('consent_notices').set({ disabled_at: new Date() }).where('id', '=', id).where('disabled_at', 'is', null).execute();
}

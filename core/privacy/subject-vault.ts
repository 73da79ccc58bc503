/**
 * The subject vault: personal payloads (contact points such as email, phone or WeChat openid that
 * messaging needs, free-text notes, rectified attributes) sealed under a random 32-byte key of
 * their own subject. That key is sealed under the tenant's vault key, derived from the node's
 * master key. Erasure deletes the subject's key, so every copy of the payloads left anywhere
 * (replicas, exports, backups of the payload table) can no longer be opened.
 * Known weakness: a full database backup holds the sealed subject keys too; keep subject_keys out
 * of long-lived backups (or give them a shorter retention) for the shredding to reach those.
 * Each sealed value is bound to (tenant, subject, field), so it cannot be moved to another row.
 */
import { randomBytes } from 'node:crypto';
import { ConsentError } from '../../consent/consent-errors.ts';
import { deriveKey } from '../../crypto/derive-key.ts';
import { open, seal, SEAL_KEY_BYTES } from '../../crypto/seal.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { notFound } from '../errors.ts';
import { assertNotSuppressed } from './suppression.ts';

export const PERSONAL_FIELD = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;
const MAX_FIELD_LENGTH = 100;
const MAX_VALUE_LENGTH = 10_000;
const MAX_FIELDS_PER_SUBJECT = 200;

export interface PersonalDatum {
  readonly field: string;
  readonly value: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

const encode = (text: string) => new TextEncoder().encode(text);
const keyContext = (tenantId: string, subject: string) => encode(`accord/subject-vault/v1/subject-key\0${tenantId}\0${subject}`);
const payloadContext = (tenantId: string, subject: string, field: string) => encode(`accord/subject-vault/v1/payload\0${tenantId}\0${subject}\0${field}`);

function checkField(field: string, value: string): void {
  if (field.length > MAX_FIELD_LENGTH || !PERSONAL_FIELD.test(field)) {
    throw new ConsentError('ACCORD_ERR_CONSENT_INVALID', `field must be dotted lower-case words (e.g. contact.email), at most ${MAX_FIELD_LENGTH} characters`);
  }
  if (value.length > MAX_VALUE_LENGTH) throw new ConsentError('ACCORD_ERR_CONSENT_INVALID', `a personal value has at most ${MAX_VALUE_LENGTH} characters`);
}

export class SubjectVault {
  private readonly tenantKeys = new Map<string, Uint8Array>();

  constructor(private readonly masterKey: Uint8Array) {}

  /** Stores (or replaces) one personal value of the subject. Refused for an erased subject. */
  async put(trx: TenantTransaction, subject: string, field: string, value: string): Promise<{ created: boolean }> {
    const who = subject.normalize('NFC');
    checkField(field, value);
    await assertNotSuppressed(trx, who);
    const key = await this.subjectKey(trx, who, true);
    const sealed = seal(key!, encode(value.normalize('NFC')), payloadContext(trx.tenantId, who, field));
    const existing = await trx.selectFrom('subject_personal_data').select('field').where('subject', '=', who).where('field', '=', field).executeTakeFirst();
    if (!existing) {
      const held = await trx.selectFrom('subject_personal_data').select((eb) => eb.fn.countAll<number>().as('n')).where('subject', '=', who).executeTakeFirstOrThrow();
      if (Number(held.n) >= MAX_FIELDS_PER_SUBJECT) throw new ConsentError('ACCORD_ERR_CONSENT_INVALID', `a subject holds at most ${MAX_FIELDS_PER_SUBJECT} personal fields`);
    }
    await trx
      .insertInto('subject_personal_data')
      .values({ tenant_id: trx.tenantId, subject: who, field, value_sealed: sealed })
      .onConflict((oc) => oc.columns(['tenant_id', 'subject', 'field']).doUpdateSet({ value_sealed: sealed, updated_at: new Date() }))
      .execute();
    return { created: !existing };
  }

  /** Replaces a value the vault already holds (the right to rectification); unknown fields are not found. */
  async rectify(trx: TenantTransaction, subject: string, field: string, value: string): Promise<void> {
    const who = subject.normalize('NFC');
    checkField(field, value);
    const key = await this.subjectKey(trx, who, false);
    if (!key) throw notFound('personal data field');
    const sealed = seal(key, encode(value.normalize('NFC')), payloadContext(trx.tenantId, who, field));
    const updated = await trx.updateTable('subject_personal_data').set({ value_sealed: sealed, updated_at: new Date() }).where('subject', '=', who).where('field', '=', field).executeTakeFirst();
    if (updated.numUpdatedRows === 0n) throw notFound('personal data field');
  }

  async get(trx: TenantTransaction, subject: string, field: string): Promise<string | undefined> {
    const all = await this.read(trx, subject, field);
    return all[0]?.value;
  }

  /** Every value held for the subject (or one field), opened. */
  async read(trx: TenantTransaction, subject: string, field?: string): Promise<PersonalDatum[]> {
    const who = subject.normalize('NFC');
    let query = trx.selectFrom('subject_personal_data').select(['field', 'value_sealed', 'created_at', 'updated_at']).where('subject', '=', who).orderBy('field');
    if (field !== undefined) query = query.where('field', '=', field);
    const rows = await query.execute();
    if (rows.length === 0) return [];
    const key = (await this.subjectKey(trx, who, false))!;
    return rows.map((row) => ({
      field: row.field,
      value: new TextDecoder().decode(open(key, row.value_sealed, payloadContext(trx.tenantId, who, row.field))),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }));
  }

  /** Deletes the subject's payloads and key. Returns how many payloads there were, and whether a key existed. */
  async shred(trx: TenantTransaction, subject: string): Promise<{ fieldsDeleted: number; keyShredded: boolean }> {
    const who = subject.normalize('NFC');
    const fields = await trx.deleteFrom('subject_personal_data').where('subject', '=', who).executeTakeFirst();
    const keys = await trx.deleteFrom('subject_keys').where('subject', '=', who).executeTakeFirst();
    return { fieldsDeleted: Number(fields.numDeletedRows), keyShredded: keys.numDeletedRows > 0n };
  }

  private tenantKey(tenantId: string): Uint8Array {
    let key = this.tenantKeys.get(tenantId);
    if (!key) this.tenantKeys.set(tenantId, (key = deriveKey(this.masterKey, `accord/subject-vault/v1/tenant-key\0${tenantId}`)));
    return key;
  }

  private async subjectKey(trx: TenantTransaction, subject: string, create: boolean): Promise<Uint8Array | undefined> {
    const tenantKey = this.tenantKey(trx.tenantId);
    const context = keyContext(trx.tenantId, subject);
    if (create) {
      // Two writers may race to make the first key; the first insert wins and both use it.
      await trx
        .insertInto('subject_keys')
        .values({ tenant_id: trx.tenantId, subject, key_sealed: seal(tenantKey, randomBytes(SEAL_KEY_BYTES), context) })
        .onConflict((oc) => oc.columns(['tenant_id', 'subject']).doNothing())
        .execute();
    }
    const row = await trx.selectFrom('subject_keys').select('key_sealed').where('subject', '=', subject).executeTakeFirst();
    return row && open(tenantKey, row.key_sealed, context);
  }
}

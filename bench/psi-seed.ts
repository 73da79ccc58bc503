/**
 * The PSI benchmark's data: persons with one email each, written straight into the identity tables
 * in bulk (arrays bound as single parameters to `unnest`), with the lookup hash and sealed value
 * the identifier store would compute, so a run reads them exactly as it reads ingested members.
 * Going through ingest instead would make seeding a million persons per side cost more than the
 * PSI run being measured. The matching purpose is opt-out, so the consent gate admits every
 * person without a consent event each (see psi-bench.ts).
 */
import { sql, type Kysely } from 'kysely';
import { publishNotice } from '../core/consent/notices.ts';
import { definePurpose } from '../core/consent/purposes.ts';
import type { Database } from '../core/db/schema.ts';
import { withTenant } from '../core/db/tenant-scope.ts';
import { canonicalIdentifier } from '../core/identifiers/identifier.ts';
import type { IdentifierKeys } from '../core/identifiers/identifier-keys.ts';

export const BENCH_PURPOSE = 'audience.matching';
export const BENCH_RECIPIENT = 'ocean-engine';

/** Rows per transaction: big enough that round trips do not count, small enough to bind comfortably. */
const BATCH = 50_000;

/** The email of person number `i` on either side; equal numbers are the overlap. */
export const benchEmail = (i: number): string => `user${i}@example.com`;

const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** An opt-out matching purpose, disclosed for the recipient by a notice (collaborations check both). */
export async function defineOptOutMatching(db: Kysely<Database>, tenantId: string): Promise<void> {
  await withTenant(db, tenantId, async (trx) => {
    await definePurpose(trx, {
      key: BENCH_PURPOSE,
      name: 'Audience matching (benchmark, opt-out)',
      mechanism: 'opt_out',
      legalBasis: { pipl: 'opt_out' },
      retentionDays: null,
      sensitiveCategory: null,
      // PIPL: consent per named recipient is separate consent, which cannot be opt-out.
      requiresNamedRecipient: false,
      crossBorder: false,
      publicDisclosure: false,
    });
    await publishNotice(trx, { noticeKey: 'matching', language: 'zh-CN', content: '匹配通知（基准测试）', purposes: [BENCH_PURPOSE], recipients: [BENCH_RECIPIENT], dataCategories: ['identifiers'] });
  });
}

/**
 * Persons `first` … `first + count - 1`, each with the email benchEmail(i), in batches of BATCH;
 * their consent-ledger subjects too, as a tenant that has been running has them.
 */
export async function seedEmailPersons(db: Kysely<Database>, keys: IdentifierKeys, tenantId: string, first: number, count: number, progress: (done: number) => void): Promise<void> {
  for (let from = first; from < first + count; from += BATCH) {
    const n = Math.min(BATCH, first + count - from);
    const lookupHashes: Buffer[] = [];
    const sealed: Buffer[] = [];
    for (let i = from; i < from + n; i++) {
      const identifier = canonicalIdentifier('email', benchEmail(i));
      const lookupHash = keys.lookupHash(tenantId, identifier);
      lookupHashes.push(asBuffer(lookupHash));
      sealed.push(asBuffer(keys.seal(tenantId, identifier, lookupHash)));
    }
    await withTenant(db, tenantId, async (trx) => {
      // Each person gets one email, so any pairing of the new persons with the new identifiers is a
      // valid graph: the returned ids are zipped in whatever order they come back.
      const persons = await sql<{ id: string; subject: string }>`
        insert into persons (tenant_id) select ${tenantId}::uuid from generate_series(1, ${n}::int) returning id, subject`.execute(trx);
      const identifiers = await sql<{ id: string }>`
        insert into identifiers (tenant_id, type, scope, lookup_hash, value_sealed)
        select ${tenantId}::uuid, 'email', '', u.lookup_hash, u.value_sealed
          from unnest(${lookupHashes}::bytea[], ${sealed}::bytea[]) as u(lookup_hash, value_sealed)
        returning id`.execute(trx);
      await sql`
        insert into identity_links (tenant_id, identifier_id, identifier_type, person_id)
        select ${tenantId}::uuid, u.identifier_id, 'email', u.person_id
          from unnest(${identifiers.rows.map((row) => Number(row.id))}::bigint[], ${persons.rows.map((row) => Number(row.id))}::bigint[]) as u(identifier_id, person_id)`.execute(trx);
      await sql`
        insert into consent_subjects (tenant_id, subject)
        select ${tenantId}::uuid, s from unnest(${persons.rows.map((row) => row.subject)}::text[]) as u(s)`.execute(trx);
    });
    progress(from - first + n);
  }
  for (const table of ['persons', 'identifiers', 'identity_links', 'consent_subjects']) await sql`analyze ${sql.table(table)}`.execute(db);
}

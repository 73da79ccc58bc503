/**
 * Uploaded ingest files kept in the database until their run ends (migration 0020), so the job
 * that ingests one can run on any worker and survives a restart. A file is stored a part per
 * transaction, each short, so a large upload never holds the database for long; the parts become
 * a run's file only when the run names them (queueFileRun), and parts no run names are swept.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { withTenant, type TenantTransaction } from '../db/tenant-scope.ts';

const PART_BYTES = 1024 * 1024;
/** Parts no queued or running run names after this long were left by an upload that never finished. */
const ABANDONED_AFTER_HOURS = 24;

/** Stores the file at `path` and returns the id of the stored upload. */
export async function storeUpload(db: Kysely<Database>, tenantId: string, path: string): Promise<string> {
  const uploadId = randomUUID();
  let part = 0;
  try {
    for await (const body of createReadStream(path, { highWaterMark: PART_BYTES }) as AsyncIterable<Buffer>) {
      const index = part++;
      await withTenant(db, tenantId, (trx) => trx.insertInto('ingest_upload_parts').values({ tenant_id: tenantId, upload_id: uploadId, part: index, body }).execute());
    }
  } catch (error) {
    await withTenant(db, tenantId, (trx) => removeUpload(trx, uploadId)).catch(() => {});
    throw error;
  }
  return uploadId;
}

/** Writes a stored upload to `path`, a part at a time; returns the bytes written. */
export async function copyUploadToFile(db: Kysely<Database>, tenantId: string, uploadId: string, path: string): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  try {
    for (let part = 0; ; part++) {
      const row = await withTenant(db, tenantId, (trx) => trx.selectFrom('ingest_upload_parts').select('body').where('upload_id', '=', uploadId).where('part', '=', part).executeTakeFirst());
      if (!row) break;
      bytes += row.body.length;
      if (!out.write(row.body)) await once(out, 'drain');
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  return bytes;
}

export async function removeUpload(trx: TenantTransaction, uploadId: string): Promise<void> {
  await trx.deleteFrom('ingest_upload_parts').where('upload_id', '=', uploadId).execute();
}

/** Removes parts of uploads that never became a run's file, or whose run has ended. */
export async function removeAbandonedUploads(trx: TenantTransaction): Promise<void> {
  await trx
    .deleteFrom('ingest_upload_parts')
    .where('created_at', '<', sql<Date>`now() - ${ABANDONED_AFTER_HOURS} * interval '1 hour'`)
    .where('upload_id', 'not in', (eb) => eb.selectFrom('ingest_runs').select('upload_id').where('status', 'in', ['queued', 'running']).where('upload_id', 'is not', null) as never)
    .execute();
}

/**
 * A run's intermediate sets, stored as numbered frame bodies per identifier type and stream. A
 * stream's next sequence number is how many frames it holds, so a frame is appended exactly once:
 * a replay after a restart finds its number taken. Bodies are deleted when the run ends.
 */
import { sql } from 'kysely';
import type { TenantTransaction } from '../db/tenant-scope.ts';

export type PsiStream =
  /** client: its own elements blinded once, in sent (sorted) order; server: never. */
  | 'client-blinded'
  /** server: the client's elements blinded twice, 12-byte truncations, in the client's order. */
  | 'client-double'
  /** server: its own elements blinded once, sorted. */
  | 'server-blinded'
  /** server: which person each of its sorted elements belongs to (float64 ids). */
  | 'server-persons'
  /** client: which person each of its sent elements belongs to (float64 ids). */
  | 'client-persons'
  /** server: its own elements blinded by both parties, 12-byte truncations, when it may learn members. */
  | 'server-double'
  /** server, OPRF modes: the client's elements blinded twice, whole (the client unblinds them). */
  | 'client-double-full'
  /** server, unbalanced: a Golomb-coded set of tags of its blinded elements. */
  | 'server-gcs'
  /** server, payload: tag ‖ sealed tag values per element. */
  | 'server-payload'
  /** server, where it counts: W = (Σ H(s)^b)^r, one element (none for an empty set). */
  | 'server-sum'
  /** server, where it counts: its secret r, sealed like the run key. */
  | 'sum-key'
  /** server, where it counts: H(s)^ba whole as the client returned it. */
  | 'server-double-full'
  /** server, where it counts: V = W^a as the client returned it. */
  | 'server-double-sum';

export const FRAME_ELEMENTS = 65_536;
const MAX_FRAME_BODY_BYTES = 16 * 1024 * 1024;

/** Elements per frame for an element size, within the frame body cap. */
export const elementsPerFrame = (elementBytes: number): number => Math.min(FRAME_ELEMENTS, Math.floor(MAX_FRAME_BODY_BYTES / elementBytes));

export async function frameCount(trx: TenantTransaction, runId: string, idType: string, stream: PsiStream): Promise<number> {
  const row = await trx
    .selectFrom('psi_run_frames')
    .select(sql<string>`count(*)`.as('n'))
    .where('run_id', '=', runId)
    .where('id_type', '=', idType)
    .where('stream', '=', stream)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function appendFrame(trx: TenantTransaction, runId: string, idType: string, stream: PsiStream, seq: number, body: Uint8Array): Promise<void> {
  await trx.insertInto('psi_run_frames').values({ tenant_id: trx.tenantId, run_id: runId, id_type: idType, stream, seq, body }).execute();
}

/** Stores a whole packed set as frames of FRAME_ELEMENTS elements (an empty set is one empty frame). */
export async function storeFrames(trx: TenantTransaction, runId: string, idType: string, stream: PsiStream, packed: Uint8Array, elementBytes: number): Promise<number> {
  await trx.deleteFrom('psi_run_frames').where('run_id', '=', runId).where('id_type', '=', idType).where('stream', '=', stream).execute();
  const step = elementsPerFrame(elementBytes) * elementBytes;
  let seq = 0;
  for (let offset = 0; offset < packed.length || seq === 0; offset += step) {
    await appendFrame(trx, runId, idType, stream, seq++, packed.subarray(offset, offset + step));
  }
  return seq;
}

export async function loadFrame(trx: TenantTransaction, runId: string, idType: string, stream: PsiStream, seq: number): Promise<Uint8Array | undefined> {
  const row = await trx
    .selectFrom('psi_run_frames')
    .select('body')
    .where('run_id', '=', runId)
    .where('id_type', '=', idType)
    .where('stream', '=', stream)
    .where('seq', '=', seq)
    .executeTakeFirst();
  return row ? new Uint8Array(row.body) : undefined;
}

/** A whole stream, concatenated in sequence order. */
export async function loadStream(trx: TenantTransaction, runId: string, idType: string, stream: PsiStream): Promise<Uint8Array> {
  const rows = await trx
    .selectFrom('psi_run_frames')
    .select('body')
    .where('run_id', '=', runId)
    .where('id_type', '=', idType)
    .where('stream', '=', stream)
    .orderBy('seq')
    .execute();
  return Buffer.concat(rows.map((row) => row.body));
}

export async function deleteRunFrames(trx: TenantTransaction, runId: string): Promise<void> {
  await trx.deleteFrom('psi_run_frames').where('run_id', '=', runId).execute();
}

export const packPersons = (persons: Float64Array): Uint8Array => new Uint8Array(persons.buffer, persons.byteOffset, persons.byteLength);
export const unpackPersons = (bytes: Uint8Array): Float64Array => new Float64Array(Uint8Array.from(bytes).buffer);

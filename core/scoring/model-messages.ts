/**
 * The blob store and inbox of a model's step messages (`scoring_messages`): bytes in the database,
 * referenced from jobs by (model, direction, kind, step), never carried in a job payload (so never
 * inlined in Redis). One message per (model, direction, kind, step):
 * - an outgoing message is stored once and the stored bytes are what is sent, also on a retry (the
 *   brand's residuals are freshly encrypted each time they are made; only the first counts);
 * - an incoming message that repeats the stored one is accepted again (a retried delivery), and a
 *   different one is refused: the brand answers each step once, since a second products message
 *   for the same step would be answered with the same noise, and the two answers' difference would
 *   carry none.
 */
import { sql } from 'kysely';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { ScoringError } from './scoring-errors.ts';
import { messageDigest } from './step-message.ts';

export type MessageKind = 'brand-columns' | 'residuals' | 'products' | 'masked-sums' | 'validation';
export type Direction = 'in' | 'out';

export interface StoredMessage {
  readonly kind: MessageKind;
  readonly step: number;
  readonly bytes: Uint8Array;
  readonly digest: string;
}

/** What each party may receive: the brand's messages go to the provider, and the other way round. */
export const receivedBy: Record<'brand' | 'provider', readonly MessageKind[]> = {
  provider: ['brand-columns', 'residuals', 'masked-sums'],
  brand: ['products', 'validation'],
};

async function insertOnce(trx: TenantTransaction, modelId: string, direction: Direction, kind: MessageKind, step: number, bytes: Uint8Array): Promise<StoredMessage> {
  const digest = messageDigest(bytes);
  await trx
    .insertInto('scoring_messages')
    .values({ tenant_id: trx.tenantId, model_id: modelId, direction, kind, step, digest, bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) })
    .onConflict((oc) => oc.columns(['tenant_id', 'model_id', 'direction', 'kind', 'step']).doNothing())
    .execute();
  return (await findMessage(trx, modelId, direction, kind, step))!;
}

/** Stores an outgoing message unless one is stored already; returns the stored one, which is what goes out. */
export function storeOutgoing(trx: TenantTransaction, modelId: string, kind: MessageKind, step: number, bytes: Uint8Array): Promise<StoredMessage> {
  return insertOnce(trx, modelId, 'out', kind, step, bytes);
}

/** Puts a received message in the inbox; true if it is new, false if it repeats the stored one. */
export async function receiveMessage(trx: TenantTransaction, modelId: string, kind: MessageKind, step: number, bytes: Uint8Array): Promise<boolean> {
  const before = await findMessage(trx, modelId, 'in', kind, step);
  const stored = before ?? (await insertOnce(trx, modelId, 'in', kind, step, bytes));
  if (stored.digest !== messageDigest(bytes)) throw new ScoringError('ACCORD_ERR_SCORING_MESSAGE_CONFLICT', `a different ${kind} message for step ${step} of model ${modelId} was received already`);
  return before === undefined;
}

export async function findMessage(trx: TenantTransaction, modelId: string, direction: Direction, kind: MessageKind, step: number): Promise<StoredMessage | undefined> {
  const row = await trx
    .selectFrom('scoring_messages')
    .select(['kind', 'step', 'bytes', 'digest'])
    .where('model_id', '=', modelId)
    .where('direction', '=', direction)
    .where('kind', '=', kind)
    .where('step', '=', step)
    .executeTakeFirst();
  return row && { kind: row.kind as MessageKind, step: row.step, bytes: new Uint8Array(row.bytes), digest: row.digest };
}

const kindOrder: readonly MessageKind[] = ['brand-columns', 'residuals', 'products', 'masked-sums', 'validation'];

/**
 * Outgoing messages the peer has not acknowledged, in protocol order: by step, and within a step
 * brand columns, residuals, products, masked sums, validation (which follows a step's update).
 */
export async function undelivered(trx: TenantTransaction, modelId: string): Promise<StoredMessage[]> {
  const rows = await trx
    .selectFrom('scoring_messages')
    .select(['kind', 'step', 'bytes', 'digest'])
    .where('model_id', '=', modelId)
    .where('direction', '=', 'out')
    .where('delivered_at', 'is', null)
    .execute();
  return rows
    .map((row) => ({ kind: row.kind as MessageKind, step: row.step, bytes: new Uint8Array(row.bytes), digest: row.digest }))
    .sort((a, b) => a.step - b.step || kindOrder.indexOf(a.kind) - kindOrder.indexOf(b.kind));
}

export async function markDelivered(trx: TenantTransaction, modelId: string, kind: MessageKind, step: number): Promise<void> {
  await trx.updateTable('scoring_messages').set({ delivered_at: sql`now()` }).where('model_id', '=', modelId).where('direction', '=', 'out').where('kind', '=', kind).where('step', '=', step).execute();
}

/** Bytes each way so far, for the model card. */
export async function messageBytes(trx: TenantTransaction, modelId: string): Promise<{ sent: number; received: number }> {
  const rows = await trx
    .selectFrom('scoring_messages')
    .select(['direction', sql<string>`sum(length(bytes))`.as('bytes')])
    .where('model_id', '=', modelId)
    .groupBy('direction')
    .execute();
  const of = (direction: Direction) => Number(rows.find((row) => row.direction === direction)?.bytes ?? 0);
  return { sent: of('out'), received: of('in') };
}

/**
 * The ingest sealing thread: seals batches of identifiers for one tenant (identifier-sealing.ts)
 * so the main thread can go on reading and checking rows. It holds that tenant's two keys only,
 * never the master key. Batches arrive as three string arrays and leave as one transferred buffer.
 * Started through seal-worker-bootstrap.mjs, which makes TypeScript loadable in the thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { canonicalIdentifier } from '../identifiers/identifier.ts';
import { IdentifierKeys, type TenantKeyMaterial } from '../identifiers/identifier-keys.ts';
import { isIdentifierType } from '../identifiers/identifier-types.ts';
import { packSealings, sealingOf } from './identifier-sealing.ts';

export interface SealBatchMessage {
  readonly id: number;
  readonly types: readonly string[];
  /** '' for an identifier without a scope. */
  readonly scopes: readonly string[];
  /** Canonical values, as the normalisers made them. */
  readonly values: readonly string[];
}

export type SealWorkerMessage = { readonly id: number; readonly packed: Uint8Array } | { readonly id: number; readonly error: string };

const material = workerData as TenantKeyMaterial;
const keys = new IdentifierKeys(material);

function sealBatch({ types, scopes, values }: SealBatchMessage): Uint8Array {
  return packSealings(
    values.map((value, index) => {
      const type = types[index]!;
      if (!isIdentifierType(type)) throw new TypeError(`unknown identifier type ${type}`);
      return sealingOf(keys, material.tenantId, canonicalIdentifier(type, value, scopes[index]));
    }),
  );
}

parentPort!.on('message', (batch: SealBatchMessage) => {
  let reply: SealWorkerMessage;
  try {
    const packed = sealBatch(batch);
    reply = { id: batch.id, packed };
    parentPort!.postMessage(reply, [packed.buffer as ArrayBuffer]);
  } catch (error) {
    reply = { id: batch.id, error: (error as Error).message };
    parentPort!.postMessage(reply);
  }
});

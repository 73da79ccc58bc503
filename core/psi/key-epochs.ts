/**
 * Unbalanced mode's cache: a server that answers many runs of one collaboration blinds its set once
 * per key epoch and reuses the blinded elements, blinding only what is new. The cache holds, per
 * identifier type, a keyed fingerprint of each input digest (never the digest: a plain SHA-256 of a
 * phone number is a dictionary away from the number) with its blinded element, and after every run
 * it is rewritten to exactly that run's consented input — so a withdrawn or erased person's element
 * leaves the cache at the next run, and nothing outlives the epoch (EPOCH_DAYS).
 * The epoch key is a server-side OPRF key: the client's own key stays fresh per run.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { deriveKey } from '../../crypto/derive-key.ts';
import type { PsiEngine, PsiKey } from '../../crypto/psi/psi-engine.ts';
import { ELEMENT_BYTES, psiDomainSeparationTag } from '../../crypto/psi/suites.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { openRunKey, sealRunKey } from './psi-run-key.ts';

export const EPOCH_DAYS = 30;
const FINGERPRINT_BYTES = 16;
const CHUNK = 65_536;

export interface KeyEpoch {
  readonly id: string;
  readonly key: PsiKey;
  /** Sealed for the run that uses it (bound to the run id, like a run key). */
  readonly createdAt: Date;
}

/**
 * The current epoch for this collaboration and client, or a new one when there is none or it has
 * expired. One epoch per client: two clients of one server never share an OPRF key.
 */
export async function currentEpoch(trx: TenantTransaction, masterKey: Uint8Array, engine: PsiEngine, collaborationId: string, peerNodeId: string, now = new Date()): Promise<KeyEpoch> {
  // Two runs preparing at once must not make two epochs.
  await sql`select pg_advisory_xact_lock(hashtext(${`${trx.tenantId}/psi-epoch/${collaborationId}/${peerNodeId}`}))`.execute(trx);
  const found = await trx
    .selectFrom('psi_key_epochs')
    .select(['id', 'key_sealed', 'created_at'])
    .where('collaboration_id', '=', collaborationId)
    .where('peer_node_id', '=', peerNodeId)
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  if (found) return { id: found.id, key: openRunKey(masterKey, engine, found.key_sealed, trx.tenantId, found.id), createdAt: found.created_at };
  // Expired epochs go with their caches.
  await trx.deleteFrom('psi_key_epochs').where('collaboration_id', '=', collaborationId).where('peer_node_id', '=', peerNodeId).execute();
  const id = randomUUID();
  const key = engine.newKey();
  await trx
    .insertInto('psi_key_epochs')
    .values({ tenant_id: trx.tenantId, id, collaboration_id: collaborationId, peer_node_id: peerNodeId, key_sealed: sealRunKey(masterKey, engine, key, trx.tenantId, id), expires_at: new Date(now.getTime() + EPOCH_DAYS * 86_400_000) })
    .execute();
  return { id, key, createdAt: now };
}

function fingerprints(masterKey: Uint8Array, epochId: string, digests: Uint8Array): string[] {
  const key = deriveKey(masterKey, `accord/psi/epoch-fingerprints/v1\0${epochId}`);
  const out: string[] = [];
  for (let offset = 0; offset < digests.length; offset += ELEMENT_BYTES) {
    out.push(createHmac('sha256', key).update(digests.subarray(offset, offset + ELEMENT_BYTES)).digest().subarray(0, FINGERPRINT_BYTES).toString('latin1'));
  }
  return out;
}

/**
 * H(x)^b for every digest, in order: from the epoch's cache where it has them, blinded now where
 * not; the cache is then rewritten to exactly these. Returns how many came from the cache.
 */
export async function blindWithEpoch(
  trx: TenantTransaction,
  masterKey: Uint8Array,
  engine: PsiEngine,
  epoch: KeyEpoch,
  collaborationId: string,
  idType: string,
  digests: Uint8Array,
): Promise<{ blinded: Uint8Array; reused: number }> {
  const cached = new Map<string, Uint8Array>();
  const rows = await trx.selectFrom('psi_epoch_sets').select(['fingerprints', 'elements']).where('epoch_id', '=', epoch.id).where('id_type', '=', idType).orderBy('seq').execute();
  for (const row of rows) {
    for (let i = 0; i * FINGERPRINT_BYTES < row.fingerprints.length; i++) {
      cached.set(Buffer.from(row.fingerprints.subarray(i * FINGERPRINT_BYTES, (i + 1) * FINGERPRINT_BYTES)).toString('latin1'), new Uint8Array(row.elements.subarray(i * ELEMENT_BYTES, (i + 1) * ELEMENT_BYTES)));
    }
  }
  const prints = fingerprints(masterKey, epoch.id, digests);
  const missing = prints.flatMap((print, i) => (cached.has(print) ? [] : [i]));
  const fresh = new Uint8Array(missing.length * ELEMENT_BYTES);
  missing.forEach((from, to) => fresh.set(digests.subarray(from * ELEMENT_BYTES, (from + 1) * ELEMENT_BYTES), to * ELEMENT_BYTES));
  const blindedFresh = await engine.hashAndBlind(fresh, psiDomainSeparationTag('ristretto255', collaborationId, idType), epoch.key);
  missing.forEach((index, j) => cached.set(prints[index]!, blindedFresh.subarray(j * ELEMENT_BYTES, (j + 1) * ELEMENT_BYTES)));

  const blinded = new Uint8Array(digests.length);
  prints.forEach((print, i) => blinded.set(cached.get(print)!, i * ELEMENT_BYTES));
  await trx.deleteFrom('psi_epoch_sets').where('epoch_id', '=', epoch.id).where('id_type', '=', idType).execute();
  for (let start = 0, seq = 0; start < prints.length; start += CHUNK, seq++) {
    const slice = prints.slice(start, start + CHUNK);
    await trx
      .insertInto('psi_epoch_sets')
      .values({
        tenant_id: trx.tenantId,
        epoch_id: epoch.id,
        id_type: idType,
        seq,
        fingerprints: Buffer.from(slice.join(''), 'latin1'),
        elements: blinded.subarray(start * ELEMENT_BYTES, (start + slice.length) * ELEMENT_BYTES),
      })
      .execute();
  }
  return { blinded, reused: prints.length - missing.length };
}

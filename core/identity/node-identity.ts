/**
 * The node's identity: a UUID and an Ed25519 key pair made on first start. The private key is kept
 * in the database sealed under the master key; peers pin the public key to authenticate this node.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { generateSigningKeyPair, publicKeyOf, sign } from '../../crypto/ed25519.ts';
import { open, seal, SealOpenError } from '../../crypto/seal.ts';
import type { Database } from '../db/schema.ts';
import { MasterKeyError } from './master-key.ts';

const SEAL_CONTEXT = new TextEncoder().encode('accord/node-identity/ed25519/v1');

export interface NodeIdentity {
  readonly nodeId: string;
  readonly partyName: string;
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

export async function loadOrCreateNodeIdentity(
  db: Kysely<Database>,
  masterKey: Uint8Array,
  partyName: string,
): Promise<NodeIdentity> {
  const fresh = generateSigningKeyPair();
  // Two processes starting together may both try; the first insert wins and both read it back.
  await db
    .insertInto('node')
    .values({
      id: randomUUID(),
      party_name: partyName,
      public_key: fresh.publicKey,
      private_key_sealed: seal(masterKey, fresh.secretKey, SEAL_CONTEXT),
    })
    .onConflict((oc) => oc.column('singleton').doNothing())
    .execute();
  const row = await db.selectFrom('node').selectAll().executeTakeFirstOrThrow();
  if (row.party_name !== partyName) {
    await db.updateTable('node').set({ party_name: partyName }).execute();
  }

  let secretKey: Uint8Array;
  try {
    secretKey = open(masterKey, row.private_key_sealed, SEAL_CONTEXT);
  } catch (error) {
    if (error instanceof SealOpenError) {
      throw new MasterKeyError(
        'the node key in the database cannot be opened with the configured master key ' +
          '(ACCORD_MASTER_KEY, ACCORD_MASTER_KEY_FILE or <data dir>/master.key): use the key this node was created with',
      );
    }
    throw error;
  }
  const publicKey = new Uint8Array(row.public_key);
  if (Buffer.compare(publicKeyOf(secretKey), publicKey) !== 0) {
    throw new MasterKeyError('the node key in the database does not match its public key');
  }
  return {
    nodeId: row.id,
    partyName,
    publicKey,
    sign: (message) => sign(message, secretKey),
  };
}

/**
 * The key file of a party without a node (`accord psi`): its id and Ed25519 key pair as JSON, readable
 * by its owner only. The brand pins the public key (POST /v1/peers without a baseUrl, then as a party
 * of the collaboration), so the file is the party's whole identity: whoever holds it signs as the
 * party. A file others can read, or whose public key is not its secret key's, is refused.
 */
import { randomUUID } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { generateSigningKeyPair, isValidPublicKey, publicKeyOf, sign } from '../../crypto/ed25519.ts';
import { AccordError } from '../errors.ts';
import { fileErrorReason } from '../files/file-error-reason.ts';
import type { NodeIdentity } from '../identity/node-identity.ts';

export interface PartyKey {
  readonly nodeId: string;
  readonly partyName: string;
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

const KEY_FILE_TYPE = 'accord.party-key/v1';
const base64Key = z.string().regex(/^[A-Za-z0-9+/]{43}=$/, '32 bytes in base64');

const keyFileSchema = z
  .object({
    type: z.literal(KEY_FILE_TYPE),
    nodeId: z.uuid(),
    partyName: z.string().min(1).max(200),
    algorithm: z.literal('Ed25519'),
    publicKey: base64Key,
    secretKey: base64Key,
  })
  .strict();

const invalid = (path: string, why: string) => new AccordError('ACCORD_ERR_INVALID_INPUT', `${path} is not a usable party key file: ${why}`);

/** A new key and party id, written to `path` (which must not exist yet) with mode 0600. */
export async function createPartyKeyFile(path: string, partyName: string): Promise<PartyKey> {
  const pair = generateSigningKeyPair();
  const key: PartyKey = { nodeId: randomUUID(), partyName, publicKey: pair.publicKey, secretKey: pair.secretKey };
  const document = {
    type: KEY_FILE_TYPE,
    nodeId: key.nodeId,
    partyName,
    algorithm: 'Ed25519',
    publicKey: Buffer.from(key.publicKey).toString('base64'),
    secretKey: Buffer.from(key.secretKey).toString('base64'),
  };
  let file;
  try {
    // 'wx': never overwrite a key a collaboration may already pin.
    file = await open(path, 'wx', 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AccordError(code === 'EEXIST' ? 'ACCORD_ERR_CONFLICT' : 'ACCORD_ERR_INVALID_INPUT', code === 'EEXIST' ? `${path} already exists; a new key goes to a new file` : `cannot create ${path} (${code ?? 'error'})`);
  }
  try {
    await file.writeFile(`${JSON.stringify(document, null, 2)}\n`);
  } finally {
    await file.close();
  }
  return key;
}

export async function readPartyKeyFile(path: string): Promise<PartyKey> {
  let text: string;
  try {
    const info = await stat(path);
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) throw invalid(path, `others may read it (mode ${(info.mode & 0o777).toString(8)}); chmod 600 ${path}`);
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof AccordError) throw error;
    throw invalid(path, `cannot read it: ${fileErrorReason(error)}`);
  }
  let parsed;
  try {
    parsed = keyFileSchema.safeParse(JSON.parse(text));
  } catch {
    throw invalid(path, 'it is not JSON');
  }
  if (!parsed.success) throw invalid(path, parsed.error.issues.map((issue) => `${issue.path.join('.') || 'file'}: ${issue.message}`).join('; '));
  const secretKey = new Uint8Array(Buffer.from(parsed.data.secretKey, 'base64'));
  const publicKey = new Uint8Array(Buffer.from(parsed.data.publicKey, 'base64'));
  if (!isValidPublicKey(publicKey) || Buffer.compare(publicKeyOf(secretKey), publicKey) !== 0) throw invalid(path, 'its public key is not the public key of its secret key');
  return { nodeId: parsed.data.nodeId, partyName: parsed.data.partyName, publicKey, secretKey };
}

/** The party as the node-to-node code sees a node: it signs requests and frames with the file's key. */
export function partyIdentity(key: PartyKey): NodeIdentity {
  return { nodeId: key.nodeId, partyName: key.partyName, publicKey: key.publicKey, sign: (message) => sign(message, key.secretKey) };
}

/**
 * The node's master key seals its private key at rest. Taken from ACCORD_MASTER_KEY, else from the
 * file ACCORD_MASTER_KEY_FILE, else from `<data dir>/master.key`, created (mode 0600) on first start
 * so the embedded default needs no setup. Production nodes should pass the key from a secret store.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SEAL_KEY_BYTES } from '../../crypto/seal.ts';
import { fileErrorReason } from '../files/file-error-reason.ts';

export interface MasterKeySource {
  masterKey?: string | undefined;
  masterKeyFile?: string | undefined;
  dataDir: string;
}

export class MasterKeyError extends Error {
  readonly code = 'ACCORD_ERR_MASTER_KEY';
}

function decode(text: string, where: string): Uint8Array {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== SEAL_KEY_BYTES) {
    throw new MasterKeyError(`${where}: expected ${SEAL_KEY_BYTES} bytes in base64, found ${key.length} bytes`);
  }
  return key;
}

export function resolveMasterKey(source: MasterKeySource): Uint8Array {
  if (source.masterKey) return decode(source.masterKey, 'ACCORD_MASTER_KEY');
  if (source.masterKeyFile) {
    let text: string;
    try {
      text = readFileSync(source.masterKeyFile, 'utf8');
    } catch (error) {
      throw new MasterKeyError(`ACCORD_MASTER_KEY_FILE: cannot read ${source.masterKeyFile}: ${fileErrorReason(error)}`);
    }
    return decode(text, `ACCORD_MASTER_KEY_FILE ${source.masterKeyFile}`);
  }
  const path = join(source.dataDir, 'master.key');
  mkdirSync(source.dataDir, { recursive: true });
  try {
    writeFileSync(path, randomBytes(SEAL_KEY_BYTES).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return decode(readFileSync(path, 'utf8'), path);
}

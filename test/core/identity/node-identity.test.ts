import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verify } from '../../../crypto/ed25519.ts';
import { MasterKeyError, resolveMasterKey } from '../../../core/identity/master-key.ts';
import { loadOrCreateNodeIdentity } from '../../../core/identity/node-identity.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';

const key = (byte: number) => new Uint8Array(32).fill(byte);

describe.each(storageBackends)('node identity on %s', (backend) => {
  let t: TestDatabase | undefined;
  afterEach(async () => t?.dispose());

  it('is made once, kept sealed, and signs verifiably', async () => {
    t = await openTestDatabase(backend);
    const first = await loadOrCreateNodeIdentity(t.db, key(1), 'Brand');
    const again = await loadOrCreateNodeIdentity(t.db, key(1), 'Brand renamed');
    expect(again.nodeId).toBe(first.nodeId);
    expect(Buffer.from(again.publicKey)).toEqual(Buffer.from(first.publicKey));
    expect(again.partyName).toBe('Brand renamed');
    const message = new TextEncoder().encode('hello peer');
    expect(verify(again.sign(message), message, first.publicKey)).toBe(true);
    const row = await t.db.selectFrom('node').selectAll().executeTakeFirstOrThrow();
    expect(row.private_key_sealed.length).toBe(12 + 32 + 16);
  });

  it('refuses to start with another master key', async () => {
    t = await openTestDatabase(backend);
    await loadOrCreateNodeIdentity(t.db, key(1), 'Brand');
    await expect(loadOrCreateNodeIdentity(t.db, key(2), 'Brand')).rejects.toThrow(MasterKeyError);
    await expect(loadOrCreateNodeIdentity(t.db, key(2), 'Brand')).rejects.toThrow(/cannot be opened with the configured master key/);
  });
});

describe('master key', () => {
  it('prefers ACCORD_MASTER_KEY, then the key file, then makes <data dir>/master.key with mode 0600', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'accord-key-'));
    const inline = Buffer.alloc(32, 7).toString('base64');
    expect(Buffer.from(resolveMasterKey({ masterKey: inline, dataDir }))).toEqual(Buffer.alloc(32, 7));
    const file = join(dataDir, 'given.key');
    writeFileSync(file, Buffer.alloc(32, 9).toString('base64') + '\n');
    expect(Buffer.from(resolveMasterKey({ masterKeyFile: file, dataDir }))).toEqual(Buffer.alloc(32, 9));
    const made = resolveMasterKey({ dataDir });
    expect(made.length).toBe(32);
    expect(statSync(join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
    expect(Buffer.from(resolveMasterKey({ dataDir }))).toEqual(Buffer.from(made));
    expect(readFileSync(join(dataDir, 'master.key'), 'utf8').trim()).toBe(Buffer.from(made).toString('base64'));
  });

  it('says which source is wrong', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'accord-key-'));
    const short = join(dataDir, 'short.key');
    writeFileSync(short, Buffer.alloc(16).toString('base64'));
    expect(() => resolveMasterKey({ masterKeyFile: short, dataDir })).toThrow(/ACCORD_MASTER_KEY_FILE .*short.key: expected 32 bytes in base64, found 16 bytes/);
    expect(() => resolveMasterKey({ masterKeyFile: join(dataDir, 'missing.key'), dataDir })).toThrow(/cannot read .*missing.key: there is no such file \(ENOENT\)/);
  });
});

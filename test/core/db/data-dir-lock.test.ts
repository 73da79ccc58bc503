import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatabaseInUseError, lockDataDir } from '../../../core/db/data-dir-lock.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'accord-lock-'));

describe('embedded database lock', () => {
  it('keeps others out while a live accord process holds it, and releases on close', async () => {
    // A stand-in holder: another live process.
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    try {
      await once(holder, 'spawn');
      const folder = dir();
      writeFileSync(join(folder, 'accord.lock'), String(holder.pid));
      expect(() => lockDataDir(folder)).toThrow(DatabaseInUseError);
      expect(() => lockDataDir(folder)).toThrow(new RegExp(`in use by process ${holder.pid}; stop that accord process first`));
    } finally {
      holder.kill();
    }
    const fresh = dir();
    const release = lockDataDir(fresh);
    expect(readFileSync(join(fresh, 'accord.lock'), 'utf8')).toBe(String(process.pid));
    expect(() => lockDataDir(fresh)).toThrow(DatabaseInUseError); // held in this very process
    release();
    expect(existsSync(join(fresh, 'accord.lock'))).toBe(false);
  });

  it('takes over a lock left by a process that is gone, or by an earlier life of this pid (not held here)', () => {
    for (const stale of ['99999999', String(process.pid), 'garbage']) {
      const folder = dir();
      writeFileSync(join(folder, 'accord.lock'), stale);
      const release = lockDataDir(folder);
      expect(readFileSync(join(folder, 'accord.lock'), 'utf8')).toBe(String(process.pid));
      release();
    }
  });
});

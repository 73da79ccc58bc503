/**
 * Embedded PGlite is one process's database: a second process opening the same folder would work on
 * its own copy and corrupt the files. A lock file holding the owner's pid keeps a second `accord`
 * process out with a clear message. The file appears with its content already written (link of a
 * finished temp file), and a stale lock — its process gone, or this pid from an earlier life, as
 * after a container restart — is moved aside atomically, so of two contenders only one takes it.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class DatabaseInUseError extends Error {
  readonly code = 'ACCORD_ERR_DATABASE_IN_USE';
}

const heldHere = new Set<string>();

function holderAlive(pid: number, path: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return heldHere.has(path);
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const readOrEmpty = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

const unlinkQuietly = (path: string) => {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
};

/** Takes the lock on `dir` or throws DatabaseInUseError; returns the release function. */
export function lockDataDir(dir: string): () => void {
  const path = join(dir, 'accord.lock');
  const mine = String(process.pid);
  for (let attempt = 0; attempt < 3; attempt++) {
    const temp = `${path}.${mine}.${randomBytes(4).toString('hex')}`;
    writeFileSync(temp, mine, { mode: 0o600 });
    try {
      linkSync(temp, path);
      heldHere.add(path);
      return () => {
        heldHere.delete(path);
        if (readOrEmpty(path) === mine) unlinkQuietly(path);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkQuietly(temp);
    }
    const stale = readOrEmpty(path);
    const holder = Number(stale.trim());
    if (holderAlive(holder, path)) {
      throw new DatabaseInUseError(
        `the embedded database in ${dir} is in use by process ${holder}; stop that accord process first ` +
          '(or use a Postgres server through DATABASE_URL, which many processes can share)',
      );
    }
    const aside = `${path}.stale.${randomBytes(4).toString('hex')}`;
    try {
      renameSync(path, aside);
    } catch {
      continue; // Someone else moved it first; look again.
    }
    // If what we moved is no longer the stale lock we judged, a contender's live lock: put it back.
    if (readOrEmpty(aside) !== stale) {
      try {
        linkSync(aside, path);
      } catch {
        // A third process holds the place now; the next attempt will see it.
      }
    }
    unlinkQuietly(aside);
  }
  throw new DatabaseInUseError(`could not take the lock ${path}: other processes keep taking it`);
}

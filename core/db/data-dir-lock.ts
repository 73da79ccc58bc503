/**
 * Embedded PGlite is one process's database: a second process opening the same folder would work on
 * its own copy and corrupt the files. A lock file holding the owner's pid keeps a second `accord`
 * process out with a clear message. A lock whose process is gone (or is this very process, as after
 * a container restart reuses the pid) is stale and taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class DatabaseInUseError extends Error {
  readonly code = 'ACCORD_ERR_DATABASE_IN_USE';
}

function holderAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // A recycled pid that now belongs to another program does not hold our lock.
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('accord');
  } catch {
    return true;
  }
}

/** Takes the lock on `dir` or throws DatabaseInUseError; returns the release function. */
export function lockDataDir(dir: string): () => void {
  const path = join(dir, 'accord.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(path);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder = Number.NaN;
      try {
        holder = Number(readFileSync(path, 'utf8').trim());
      } catch {
        // Unreadable lock: treat as stale.
      }
      if (holderAlive(holder)) {
        throw new DatabaseInUseError(
          `the embedded database in ${dir} is in use by process ${holder}; stop that accord process first ` +
            '(or use a Postgres server through DATABASE_URL, which many processes can share)',
        );
      }
      unlinkSync(path);
    }
  }
  throw new DatabaseInUseError(`could not take the lock ${path}`);
}

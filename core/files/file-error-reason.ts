/**
 * Why the system refused a file, as a sentence with its code kept for searching: "cannot read
 * users.csv: there is no such file (ENOENT)" says more to an operator than the code alone.
 */

const reasons: Record<string, string> = {
  ENOENT: 'there is no such file',
  EACCES: 'this user may not open it',
  EPERM: 'this user may not open it',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of its path is not a folder',
  EEXIST: 'it already exists',
  ENOSPC: 'the disk is full',
  EROFS: 'the file system is read-only',
  EMFILE: 'too many files are open',
  ENFILE: 'too many files are open',
};

export function fileErrorReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined) return error instanceof Error ? error.message : String(error);
  return reasons[code] ? `${reasons[code]} (${code})` : code;
}

/** A JSON document a command takes from a file (a tag rule, a segment rule); unreadable or invalid JSON is a usage error. */
import { readFile } from 'node:fs/promises';
import { fileErrorReason } from '../core/files/file-error-reason.ts';
import { UsageError } from './usage-error.ts';

export async function readTextFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${fileErrorReason(error)}`);
  }
}

export async function readJsonFile(path: string): Promise<unknown> {
  const text = await readTextFile(path);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}

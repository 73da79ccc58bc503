/** `--format` and `--encoding` of the file-import commands, checked the same way for every kind of file. */
import { extname } from 'node:path';
import { textEncodings, type TextEncoding } from '../core/files/text-file.ts';
import { UsageError } from './usage-error.ts';

const formatOfExtension: Record<string, 'csv' | 'ndjson'> = { '.csv': 'csv', '.ndjson': 'ndjson', '.jsonl': 'ndjson' };

export interface FileOptions {
  format: 'csv' | 'ndjson';
  /** Undefined: detect it from the bytes. */
  encoding: TextEncoding | undefined;
}

/** The file's format (given, or from its extension) and declared encoding (`gbk` means gb18030). */
export function fileOptionsOf(file: string, values: { format?: string | undefined; encoding?: string | undefined }, usage: string): FileOptions {
  const format = values.format ?? formatOfExtension[extname(file).toLowerCase()];
  if (format !== 'csv' && format !== 'ndjson') throw new UsageError(`give --format csv or ndjson for ${file}\n${usage}`);
  const encoding = values.encoding === 'gbk' ? 'gb18030' : values.encoding;
  if (encoding !== undefined && !(textEncodings as readonly string[]).includes(encoding)) throw new UsageError(`--encoding is utf-8 or gb18030 (gbk)\n${usage}`);
  return { format, encoding: encoding as TextEncoding | undefined };
}

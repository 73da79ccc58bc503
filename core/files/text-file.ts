/**
 * Reading uploaded text files without holding them in memory: one pass for the content hash (the
 * file's identity) and the encoding, one pass decoding to text. Bytes that are not valid in the
 * encoding become U+FFFD, so the parser can name the row and column they sit in.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** UTF-8 (a BOM is dropped) or GB18030, the superset of GBK and GB2312 that Chinese Excel writes. */
export const textEncodings = ['utf-8', 'gb18030'] as const;
export type TextEncoding = (typeof textEncodings)[number];

export interface ScannedFile {
  sha256: Uint8Array;
  bytes: number;
  /** UTF-8 when the file has a UTF-8 BOM or is valid UTF-8 throughout; GB18030 otherwise. */
  detectedEncoding: TextEncoding;
}

export async function scanTextFile(path: string): Promise<ScannedFile> {
  const hash = createHash('sha256');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let validUtf8 = true;
  let bytes = 0;
  let bom = false;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    if (bytes === 0) bom = chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf;
    hash.update(chunk);
    bytes += chunk.length;
    if (validUtf8) {
      try {
        utf8.decode(chunk, { stream: true });
      } catch {
        validUtf8 = false;
      }
    }
  }
  if (validUtf8) {
    try {
      utf8.decode();
    } catch {
      validUtf8 = false;
    }
  }
  return { sha256: hash.digest(), bytes, detectedEncoding: bom || validUtf8 ? 'utf-8' : 'gb18030' };
}

/** The file as text chunks; invalid byte sequences decode to U+FFFD. `onBytes` hears how many bytes were read so far (for progress). */
export async function* decodeTextFile(path: string, encoding: TextEncoding, onBytes?: (bytesRead: number) => void): AsyncGenerator<string> {
  const decoder = new TextDecoder(encoding);
  let bytesRead = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    bytesRead += chunk.length;
    onBytes?.(bytesRead);
    const text = decoder.decode(chunk, { stream: true });
    if (text) yield text;
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}

/** Set where a decoder met bytes that are not valid in the encoding. */
export const hasUndecodableBytes = (text: string) => text.includes('\uFFFD');

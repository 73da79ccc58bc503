/**
 * A request body written to a temporary file as it arrives, so an import of any size never sits in
 * memory, with a byte limit enforced while it streams (fastify enforces none on raw-stream parsers).
 * Only the body's hash and size are enumerable: the idempotency plugin hashes the body, and the
 * same file sent again must look like the same request.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiError } from './errors.ts';

export class SpooledUpload {
  readonly #dir: string;
  constructor(
    dir: string,
    readonly sha256: string,
    readonly bytes: number,
  ) {
    this.#dir = dir;
  }

  get path(): string {
    return join(this.#dir, 'body');
  }

  remove(): Promise<void> {
    return rm(this.#dir, { recursive: true, force: true });
  }
}

export async function spoolUpload(body: Readable, limitBytes: number, declaredLength?: string): Promise<SpooledUpload> {
  const tooLarge = () => new ApiError('ACCORD_ERR_PAYLOAD_TOO_LARGE', `an import file may have at most ${limitBytes} bytes; split it`);
  if (declaredLength !== undefined && Number(declaredLength) > limitBytes) throw tooLarge();
  const dir = await mkdtemp(join(tmpdir(), 'accord-upload-'));
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    await pipeline(
      body,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          bytes += chunk.length;
          if (bytes > limitBytes) throw tooLarge();
          hash.update(chunk);
          yield chunk;
        }
      },
      createWriteStream(join(dir, 'body')),
    );
    return new SpooledUpload(dir, hash.digest('hex'), bytes);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** A request body made on demand, counting how much of it the server pulled: proof that it read none. */
import { Readable } from 'node:stream';

export const UPLOAD_CHUNK = 64 * 1024;

export function countedUpload(size: number): { stream: Readable; pulled: () => number } {
  let pulled = 0;
  const stream = new Readable({
    read() {
      if (pulled >= size) return void this.push(null);
      const chunk = Buffer.alloc(Math.min(UPLOAD_CHUNK, size - pulled));
      pulled += chunk.length;
      this.push(chunk);
    },
  });
  return { stream, pulled: () => pulled };
}

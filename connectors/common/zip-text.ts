/** A text file of lines inside a zip, as Tencent and Ocean Engine take uploads. */
import { strToU8, zipSync } from 'fflate';

export function zipText(fileName: string, lines: readonly string[]): Uint8Array<ArrayBuffer> {
  return new Uint8Array(zipSync({ [fileName]: strToU8(lines.join('\n')) }));
}

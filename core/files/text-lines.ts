/**
 * Lines of streamed text (for NDJSON), numbered from 1, without their LF or CRLF ending. A line
 * longer than the cap (line-length-cap.ts) stops the reading with ACCORD_ERR_IMPORT_LINE_TOO_LONG
 * as soon as the cap is passed, before the rest of the line is read.
 */
import { lineTooLong, maxLineLengthOf, type LineCapOptions } from './line-length-cap.ts';

export async function* textLines(text: AsyncIterable<string>, options: LineCapOptions = {}): AsyncGenerator<{ line: number; text: string }> {
  const max = maxLineLengthOf(options);
  let pending = '';
  let line = 0;
  for await (const chunk of text) {
    pending += chunk;
    let start = 0;
    let end: number;
    while ((end = pending.indexOf('\n', start)) !== -1) {
      const text = pending.slice(start, end).replace(/\r$/, '');
      if (text.length > max) throw lineTooLong(`line ${line + 1}`, max, { line: line + 1 });
      yield { line: ++line, text };
      start = end + 1;
    }
    pending = pending.slice(start);
    // One more than the cap: the CR of a CRLF ending may follow a full-length line.
    if (pending.length > max + 1) throw lineTooLong(`line ${line + 1}`, max, { line: line + 1 });
  }
  const last = pending.replace(/\r$/, '');
  if (last.length > max) throw lineTooLong(`line ${line + 1}`, max, { line: line + 1 });
  if (pending !== '') yield { line: ++line, text: last };
}

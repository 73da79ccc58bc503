/** Lines of streamed text (for NDJSON), numbered from 1, without their LF or CRLF ending. */
export async function* textLines(text: AsyncIterable<string>): AsyncGenerator<{ line: number; text: string }> {
  let pending = '';
  let line = 0;
  for await (const chunk of text) {
    pending += chunk;
    let start = 0;
    let end: number;
    while ((end = pending.indexOf('\n', start)) !== -1) {
      yield { line: ++line, text: pending.slice(start, end).replace(/\r$/, '') };
      start = end + 1;
    }
    pending = pending.slice(start);
  }
  if (pending !== '') yield { line: ++line, text: pending.replace(/\r$/, '') };
}

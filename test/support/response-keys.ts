/**
 * The top-level keys of a response as docs show it, which may be elided JSON (`{"status":"failed",
 * "error":"…", ...}`) or a sketch (`{id, status}`): the names at depth one before a `:`, `,` or `}`.
 */
export function topLevelKeys(shown: string): string[] {
  const start = shown.indexOf('{');
  if (start < 0) return [];
  const keys: string[] = [];
  let depth = 0;
  let segment = '';
  let inString = false;
  let afterColon = false;
  for (let i = start; i < shown.length; i++) {
    const c = shown[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      if (depth === 1 && !afterColon) segment += c;
      continue;
    }
    if (c === '"') {
      inString = true;
      if (depth === 1 && !afterColon) segment += c;
    } else if (c === '{' || c === '[') {
      depth++;
    } else if (c === '}' || c === ']') {
      if (depth === 1) take();
      depth--;
      if (depth === 0) break;
    } else if (depth === 1 && (c === ':' || c === ',')) {
      if (!afterColon || c === ',') take();
      afterColon = c === ':';
    } else if (depth === 1 && !afterColon) segment += c;
  }
  return keys;

  function take(): void {
    const name = segment.trim().replace(/^"(.*)"$/, '$1');
    if (!afterColon && /^[A-Za-z_][\w.-]*$/.test(name)) keys.push(name);
    segment = '';
  }
}

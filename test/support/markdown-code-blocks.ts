/**
 * The fenced code blocks of a Markdown file, each with the HTML comment just before it (blank lines
 * may separate them): `<!-- example: … -->` says how a block runs, `<!-- illustrative: reason -->`
 * why it does not. The docs example test reads these.
 */
export interface CodeBlock {
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly language: string;
  readonly body: string;
  readonly marker: { kind: 'example' | 'illustrative'; text: string } | undefined;
}

const MARKER = /^<!--\s*(example|illustrative):\s*([\s\S]*?)\s*-->\s*$/;

export function codeBlocksOf(file: string, markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})\s*([\w-]*)/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[2]!;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.trim().startsWith(fence); i++) body.push(lines[i]!.slice(open[1]!.length));
    let before = start - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const marker = before >= 0 ? MARKER.exec(lines[before]!.trim()) : null;
    blocks.push({
      file,
      line: start + 1,
      language: open[3] ?? '',
      body: body.join('\n'),
      marker: marker ? { kind: marker[1] as 'example' | 'illustrative', text: marker[2]! } : undefined,
    });
  }
  return blocks;
}

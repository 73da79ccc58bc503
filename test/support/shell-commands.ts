/**
 * Just enough of the POSIX shell to run documentation examples: words with single and double
 * quotes, `\` line continuations, `$NAME` / `${NAME}` expansion (double quotes and bare words),
 * `#` comments, leading `NAME=value` assignments. A comment on the command's line, or on the lines
 * right after it, is kept with it: docs show the response there (`# {"status":"ok"}`).
 */
export interface ShellCommand {
  /** 1-based line within the block where the command starts. */
  readonly line: number;
  readonly env: Record<string, string>;
  readonly words: string[];
  readonly comment: string;
  /** Variables the command used that have no value. */
  readonly unbound: string[];
}

export function shellCommands(text: string, variables: Readonly<Record<string, string>>): ShellCommand[] {
  const commands: { line: number; words: string[]; comments: string[]; unbound: string[] }[] = [];
  let words: string[] = [];
  let word: string | undefined;
  let unbound: string[] = [];
  let line = 1;
  let startLine = 1;
  let last: (typeof commands)[number] | undefined;
  const expand = (at: number): [string, number] => {
    const braced = /^\$\{(\w+)\}/.exec(text.slice(at));
    const bare = braced ?? /^\$([A-Za-z_]\w*)/.exec(text.slice(at));
    if (!bare) return ['$', at + 1];
    const name = bare[1]!;
    if (variables[name] === undefined) unbound.push(name);
    return [variables[name] ?? '', at + bare[0].length];
  };
  const endWord = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) {
      last = { line: startLine, words, comments: [], unbound };
      commands.push(last);
    }
    words = [];
    unbound = [];
  };
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (words.length === 0 && word === undefined) startLine = line;
    if (c === '\\' && text[i + 1] === '\n') {
      i += 2;
      line++;
    } else if (c === '\n') {
      endCommand();
      if (text[i + 1] === '\n') last = undefined; // a blank line ends what a comment can belong to
      i++;
      line++;
    } else if (c === ' ' || c === '\t') {
      endWord();
      i++;
    } else if (c === '#' && word === undefined) {
      const end = text.indexOf('\n', i);
      const comment = text.slice(i + 1, end < 0 ? text.length : end).trim();
      if (words.length > 0) {
        endCommand();
        last!.comments.push(comment);
      } else last?.comments.push(comment);
      i = end < 0 ? text.length : end;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error(`line ${line}: a single quote never closes`);
      const quoted = text.slice(i + 1, end);
      line += quoted.split('\n').length - 1;
      word = (word ?? '') + quoted;
      i = end + 1;
    } else if (c === '"') {
      word ??= '';
      for (i++; i < text.length && text[i] !== '"'; ) {
        if (text[i] === '\\' && '"\\$`'.includes(text[i + 1]!)) {
          word += text[i + 1];
          i += 2;
        } else if (text[i] === '$') {
          const [value, next] = expand(i);
          word += value;
          i = next;
        } else {
          if (text[i] === '\n') line++;
          word += text[i++];
        }
      }
      if (i >= text.length) throw new Error(`line ${line}: a double quote never closes`);
      i++;
    } else if (c === '<' && /^<[a-z][a-z -]*>/.test(text.slice(i))) {
      // a documentation placeholder (`<segment id>`), one word even with spaces in it
      const placeholder = /^<[a-z][a-z -]*>/.exec(text.slice(i))![0];
      word = (word ?? '') + placeholder;
      i += placeholder.length;
    } else if (c === '$') {
      const [value, next] = expand(i);
      word = (word ?? '') + value;
      i = next;
    } else {
      word = (word ?? '') + c;
      i++;
    }
  }
  endCommand();
  return commands.map(({ line: at, words: all, comments, unbound: missing }) => {
    const env: Record<string, string> = {};
    let first = 0;
    for (; first < all.length && /^[A-Za-z_]\w*=/.test(all[first]!); first++) {
      const [name, ...value] = all[first]!.split('=');
      env[name!] = value.join('=');
    }
    return { line: at, env, words: all.slice(first), comment: comments.join(' '), unbound: missing };
  });
}

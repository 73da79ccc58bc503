/**
 * Runs the code blocks of one Markdown file against a shared test node (see
 * test/docs/examples.test.ts): shell blocks command by command (`curl` through app.inject, `accord`
 * in-process), request bodies and files by their `<!-- example: … -->` marker. Returns what failed,
 * one line each, so a run lists every broken example of a file at once.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { vi } from 'vitest';
import { consentCommand } from '../../cli/consent-command.ts';
import { consentImportCommand } from '../../cli/consent-import-command.ts';
import { importCommand } from '../../cli/import-command.ts';
import { keysCommand } from '../../cli/keys-command.ts';
import { psiCommand } from '../../cli/psi-command.ts';
import { segmentsCommand } from '../../cli/segments-command.ts';
import { tagsCommand } from '../../cli/tags-command.ts';
import { tenantsCommand } from '../../cli/tenants-command.ts';
import type { Config } from '../../core/config/config.ts';
import type { ConsentGate } from '../../core/consent/consent-gate.ts';
import type { NodeIdentity } from '../../core/identity/node-identity.ts';
import { codeBlocksOf, type CodeBlock } from './markdown-code-blocks.ts';
import { topLevelKeys } from './response-keys.ts';
import type { TsExample } from './typecheck-doc-blocks.ts';
import { shellCommands, type ShellCommand } from './shell-commands.ts';
import type { TestDatabase } from './test-database.ts';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface DocNode {
  readonly t: TestDatabase;
  readonly app: FastifyInstance;
  readonly identity: NodeIdentity;
  readonly config: Config;
  readonly gate: ConsentGate;
  /** The working folder: files the examples name are written and read here. */
  readonly dir: string;
  /** Other nodes by origin (`http://127.0.0.1:port`): a curl to one of them goes there, any other to this node. */
  readonly others: ReadonlyMap<string, FastifyInstance>;
}

/** Values for `$NAME` (key `NAME`) and `<placeholder>` (key `<placeholder>`), and how requests and commands add to them. */
export interface Bindings {
  readonly values: Map<string, string>;
  /** After a 2xx response to a request matching `request` (`POST /v1/collaborations`), `binding` is the response's `field`. */
  readonly captures: readonly { request: RegExp; binding: string; field: string }[];
  /** After an `accord` command matching `command` (`segments create`), `binding` is the first group of `pattern` in its output. */
  readonly cliCaptures: readonly { command: RegExp; binding: string; pattern: RegExp }[];
}

/** README.md and every Markdown file under docs/, relative to the repository. */
export function docExampleFiles(): string[] {
  const docs = readdirSync(join(repoRoot, 'docs'), { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.md'));
  return ['README.md', ...docs.map((name) => join('docs', name)).sort()];
}

export function docBlocks(file: string): CodeBlock[] {
  return codeBlocksOf(file, readFileSync(join(repoRoot, file), 'utf8'));
}

/** The TypeScript blocks of every page that are not illustrative, with the names their marker takes as given. */
export function docTsExamples(): TsExample[] {
  return docExampleFiles()
    .flatMap(docBlocks)
    .filter((block) => block.language === 'ts' && block.marker?.kind !== 'illustrative')
    .map((block) => ({ where: `${block.file}:${block.line}`, code: block.body, given: givenNames(block) }));
}

function givenNames(block: CodeBlock): string[] {
  const given = block.marker?.text.split(';').map((action) => action.trim()).find((action) => action.startsWith('given '));
  return given ? given.slice('given '.length).split(/[\s,]+/).filter(Boolean) : [];
}

const SHELL = ['sh', 'bash', 'shell', 'console'];
const BODY_TYPES: Record<string, string> = { json: 'application/json', csv: 'text/csv', ndjson: 'application/x-ndjson' };

/** Runs every block of `file`; returns the failures (empty when every example works). */
export async function runDocExamples(file: string, node: DocNode, setup: Bindings, notRun: readonly (readonly [RegExp, string])[], markdown?: string): Promise<string[]> {
  // What a file's examples bind stays in that file: each runs as a newcomer would run it alone.
  const bindings = { ...setup, values: new Map(setup.values) };
  const failures: string[] = [];
  const blocks = markdown === undefined ? docBlocks(file) : codeBlocksOf(file, markdown);
  // The files a page shows exist before its commands run, wherever on the page they are shown.
  for (const block of blocks.filter((b) => b.marker?.kind === 'example')) writeMarkedFiles(block, node);
  for (const block of blocks) {
    const where = `${file}:${block.line}`;
    try {
      if (block.marker?.kind === 'illustrative') {
        if (block.marker.text.length < 10) failures.push(`${where}: an illustrative block needs its reason`);
      } else if (block.language === 'ts') {
        const unknown = block.marker?.text.split(';').map((action) => action.trim()).filter((action) => action !== 'typecheck' && !action.startsWith('given '));
        if (unknown?.length) failures.push(`${where}: a TypeScript block's marker takes "typecheck" and "given name, …", not "${unknown.join('; ')}"`);
        // otherwise type-checked by the TypeScript part of the test
      } else if (SHELL.includes(block.language) && !block.marker) {
        failures.push(...(await runShellBlock(block, node, bindings, notRun)).map((failure) => `${where}: ${failure}`));
      } else if (block.language === 'http' && !block.marker) {
        failures.push(...(await runHttpBlock(block, node, bindings)).map((failure) => `${where}: ${failure}`));
      } else if (block.marker?.kind === 'example') {
        const failure = await runMarkedBlock(block, node, bindings);
        if (failure) failures.push(`${where}: ${failure}`);
      } else {
        failures.push(`${where}: a \`\`\`${block.language || '(plain)'} block with neither <!-- example: … --> nor <!-- illustrative: reason --> before it`);
      }
    } catch (error) {
      failures.push(`${where}: ${(error as Error).message}`);
    }
  }
  return failures.map((failure) => failure.replace(/\s*\n\s*/g, ' | '));
}

async function runShellBlock(block: CodeBlock, node: DocNode, bindings: Bindings, notRun: readonly (readonly [RegExp, string])[]): Promise<string[]> {
  const failures: string[] = [];
  const count = shellCommands(block.body, {}).length;
  for (let i = 0; i < count; i++) {
    // Expanded only now, with what the commands before it bound.
    const command = shellCommands(block.body, Object.fromEntries(bindings.values))[i]!;
    const text = command.words.join(' ');
    const where = `line ${block.line + command.line}`;
    if (notRun.some(([pattern]) => pattern.test(commandSource(block, command)) || pattern.test(text))) continue;
    if (command.unbound.length > 0) {
      failures.push(`${where}: $${command.unbound.join(', $')} not bound (bind it in test/docs/example-setup.ts)`);
      continue;
    }
    let words: string[];
    try {
      words = command.words.map((word) => fillPlaceholders(word, bindings));
    } catch (error) {
      failures.push(`${where}: ${(error as Error).message}`);
      continue;
    }
    const failure =
      words[0] === 'curl' ? await runCurl(words.slice(1), command.comment, node, bindings)
      : words[0] === 'accord' ? await runAccordCli(words.slice(1), node, bindings)
      : words[0] === 'npx' && words[1] === 'accord' ? await runAccordCli(words.slice(2), node, bindings)
      : `\`${words[0]}\` is neither curl nor accord: run it or list it in NOT_RUN with the reason`;
    if (failure) failures.push(`${where}: ${failure}`);
  }
  return failures;
}

/** The command as written (before expansion), for NOT_RUN patterns that name variables. */
function commandSource(block: CodeBlock, command: ShellCommand): string {
  return block.body.split('\n').slice(command.line - 1).join('\n').split(/(?<!\\)\n/)[0]!;
}

const PLACEHOLDER = /<[a-z][a-z -]*>|\b\w+…=?/g;

/** `<notice version id>` and elided values (`accord_…`) replaced by their binding; an unknown one fails. */
function fillPlaceholders(word: string, bindings: Bindings): string {
  return word.replace(PLACEHOLDER, (found) => {
    const value = bindings.values.get(found);
    if (value === undefined) throw new Error(`placeholder ${found} not bound (bind it in test/docs/example-setup.ts)`);
    return value;
  });
}

interface Request {
  origin: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload: string | Buffer | undefined;
  output: string | undefined;
}

const CURL_FLAGS = ['-s', '-S', '--silent', '--show-error', '-i', '--include', '-v', '--verbose', '-f', '--fail', '-L', '--location', '-sS'];

/** A curl command line as the request it sends (curl's defaults: POST and a form type with a body). */
function curlRequest(args: string[], dir: string): Request {
  let method: string | undefined;
  const headers: Record<string, string> = {};
  const data: (string | Buffer)[] = [];
  let url: string | undefined;
  let output: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = () => {
      if (i + 1 >= args.length) throw new Error(`curl ${arg} needs a value`);
      return args[++i]!;
    };
    if (arg === '-X' || arg === '--request') method = value();
    else if (arg === '-H' || arg === '--header') {
      const [name, ...rest] = value().split(':');
      headers[name!.trim().toLowerCase()] = rest.join(':').trim();
    } else if (['-d', '--data', '--data-ascii', '--data-raw', '--data-binary'].includes(arg)) {
      const given = value();
      if (given.startsWith('@') && arg !== '--data-raw') {
        const content = readFileSync(join(dir, given.slice(1)));
        // -d @file drops line breaks, as curl does; --data-binary sends the file as it is.
        data.push(arg === '--data-binary' ? content : content.toString('utf8').replace(/[\r\n]/g, ''));
      } else data.push(given);
    } else if (arg === '-o' || arg === '--output') output = value();
    else if (CURL_FLAGS.includes(arg)) continue;
    else if (arg.startsWith('-')) throw new Error(`curl option ${arg} is not understood by the docs test`);
    else if (url) throw new Error(`curl with two URLs (${url}, ${arg}): is something elided?`);
    else url = arg;
  }
  if (!url) throw new Error('curl without a URL');
  const parsed = new URL(/^https?:\/\//.test(url) ? url : `http://${url}`);
  if (data.length > 0) headers['content-type'] ??= 'application/x-www-form-urlencoded';
  const payload = data.length === 0 ? undefined : data.every((part) => typeof part === 'string') ? data.join('&') : Buffer.concat(data.map((part) => Buffer.from(part)));
  return { origin: parsed.origin, method: method ?? (data.length > 0 ? 'POST' : 'GET'), url: parsed.pathname + parsed.search, headers, payload, output };
}

async function runCurl(args: string[], comment: string, node: DocNode, bindings: Bindings): Promise<string | undefined> {
  const request = curlRequest(args, node.dir);
  const app = node.others.get(request.origin) ?? node.app;
  const response = await app.inject({ method: request.method as 'GET', url: request.url, headers: request.headers, ...(request.payload === undefined ? {} : { payload: request.payload }) });
  if (request.output) writeFileSync(join(node.dir, request.output), response.rawPayload);
  return checkResponse(`${request.method} ${request.url}`, response, comment, bindings);
}

/** The status and keys the docs show for a response: `# 201 {"created":true}`, `→ 202 {id, status}`. */
function shownResponse(comment: string): { status: number | undefined; keys: string[] } {
  const status = /(?:^|→\s*)(\d{3})\b/.exec(comment.trim());
  return { status: status ? Number(status[1]) : undefined, keys: topLevelKeys(comment) };
}

function checkResponse(request: string, response: { statusCode: number; body: string }, shown: string, bindings: Bindings): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    body = undefined;
  }
  const got = `${request} → ${response.statusCode} ${response.body.slice(0, 300)}`;
  if ((body as { code?: string } | undefined)?.code === 'ACCORD_ERR_ROUTE_NOT_FOUND') return `no such route: ${got}`;
  const expected = shownResponse(shown);
  if (expected.status !== undefined ? response.statusCode !== expected.status : response.statusCode < 200 || response.statusCode >= 300) {
    return `expected ${expected.status ?? '2xx'}: ${got}`;
  }
  // A lenient import answers 2xx with rows left out: an example whose rows are refused does not work either.
  const refused = ['rejected', 'skipped'].filter((count) => typeof (body as Record<string, unknown> | undefined)?.[count] === 'number' && (body as Record<string, number>)[count]! > 0);
  if (refused.length > 0 && !refused.some((count) => shown.includes(count))) return `rows ${refused.join(' and ')}: ${got}`;
  const missing = expected.keys.filter((key) => body === null || typeof body !== 'object' || !(key in body));
  if (missing.length > 0) return `the response lacks ${missing.join(', ')} that the docs show: ${got}`;
  for (const capture of bindings.captures) {
    const value = (body as Record<string, unknown> | undefined)?.[capture.field];
    if (capture.request.test(request.split('?')[0]!) && value !== undefined) bindings.values.set(capture.binding, String(value));
  }
  return undefined;
}

type CliCommand = (args: string[]) => Promise<void>;

function cliCommands(node: DocNode): Record<string, CliCommand> {
  return {
    keys: (args) => keysCommand(node.config, args),
    tenants: (args) => tenantsCommand(node.config, args),
    consent: (args) => (args[0] === 'import' ? consentImportCommand(node.config, args.slice(1)) : consentCommand(node.config, args)),
    import: (args) => importCommand(node.config, args),
    tags: (args) => tagsCommand(node.config, node.gate, args),
    segments: (args) => segmentsCommand(node.config, node.gate, args),
    psi: (args) => psiCommand(args),
  };
}

const FILE_ARGUMENT = /^[\w.-]+\.(csv|json|ndjson|sql|key|txt)$/;

/** `accord …` in-process, what it prints kept from the test output; file names are in the working folder. */
export async function runAccordCli(words: string[], node: DocNode, bindings: Bindings): Promise<string | undefined> {
  const command = cliCommands(node)[words[0] ?? ''];
  if (!command) return `accord ${words[0]} cannot run in-process: run it or list it in NOT_RUN with the reason`;
  const args = words.slice(1).map((word) => (FILE_ARGUMENT.test(word) ? join(node.dir, word) : word));
  let out = '';
  const collect = (...parts: unknown[]) => void (out += `${parts.join(' ')}\n`);
  const spies = [
    vi.spyOn(console, 'log').mockImplementation(collect),
    vi.spyOn(console, 'error').mockImplementation(collect),
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (collect(String(chunk)), true)),
  ];
  try {
    await command(args);
  } catch (error) {
    return `accord ${words.join(' ')} failed: ${(error as Error).message}\n${out}`;
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  // Imports print their counts: rows they left out mean the example's file does not work.
  const refused = /\b([1-9]\d*) (rejected|skipped|conflicts)\b|stopped at row|would stop at/.exec(out);
  if (refused) return `accord ${words.join(' ')} left rows out: ${out}`;
  const line = words.join(' ');
  for (const capture of bindings.cliCaptures) {
    const found = capture.command.test(line) ? capture.pattern.exec(out) : null;
    if (found) bindings.values.set(capture.binding, found[1]!);
  }
  return undefined;
}

/**
 * A block tied by its marker, one or more actions separated by `;`: a request body (`POST /v1/…`),
 * a file (`file members.csv`), a command's file (`accord import members`), and `times now`, which
 * moves every ISO 8601 time in the block to now first (for consents, which can neither predate the
 * notice the example just published nor lie in the future).
 */
function markerActions(block: CodeBlock): { actions: string[]; body: string } {
  const actions = block.marker!.text.split(';').map((action) => action.trim());
  return { actions, body: actions.includes('times now') ? withTimesNow(block.body) : block.body };
}

function writeMarkedFiles(block: CodeBlock, node: DocNode): void {
  const { actions, body } = markerActions(block);
  for (const action of actions) {
    const file = /^file (\S+)$/.exec(action);
    if (file) writeFileSync(join(node.dir, file[1]!), `${body}\n`);
  }
}

async function runMarkedBlock(block: CodeBlock, node: DocNode, bindings: Bindings): Promise<string | undefined> {
  const { actions, body } = markerActions(block);
  for (const action of actions) {
    const failure = await runMarkerAction(action, block, body, node, bindings);
    if (failure) return failure;
  }
  return undefined;
}

const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})/g;

function withTimesNow(body: string): string {
  // The next whole second but one: after the notice the page just published, within the clock skew allowed.
  const now = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000).toISOString().replace('.000', '');
  return body.replace(ISO_TIME, now);
}

async function runMarkerAction(action: string, block: CodeBlock, body: string, node: DocNode, bindings: Bindings): Promise<string | undefined> {
  if (action === 'times now') return undefined;
  const request = /^(GET|POST|PUT|PATCH|DELETE) (\S+)(?:\s+→\s*(\d{3}))?$/.exec(action);
  if (request) {
    const type = BODY_TYPES[block.language];
    if (!type) return `a ${block.language} body: which content type?`;
    const url = fillPlaceholders(request[2]!.replace(/\$(\w+)/g, (_, name: string) => bindings.values.get(name) ?? `$${name}`), bindings);
    const response = await node.app.inject({ method: request[1] as 'POST', url, headers: { ...authorization(bindings), 'content-type': type }, payload: body });
    return checkResponse(`${request[1]} ${url}`, response, request[3] ?? '', bindings);
  }
  const file = /^file (\S+)$/.exec(action);
  if (file) {
    // Written before the page's commands ran; again now, so the file holds the times this block sends.
    writeFileSync(join(node.dir, file[1]!), `${body}\n`);
    return undefined;
  }
  const cli = /^accord (.+)$/.exec(action);
  if (cli) {
    const name = `block-${relative('.', block.file).replace(/\W/g, '-')}-${block.line}.${block.language}`;
    writeFileSync(join(node.dir, name), `${body}\n`);
    const words = shellCommands(cli[1]!, {})[0]!.words;
    return runAccordCli(words.includes('{file}') ? words.map((word) => (word === '{file}' ? name : word)) : [...words.slice(0, 2), name, ...words.slice(2)], node, bindings);
  }
  return `marker action "${action}" is not understood: use "METHOD /path", "file NAME", "accord …" or "times now"`;
}

const HTTP_REQUEST = /^(GET|POST|PUT|PATCH|DELETE)\s+(\S+)(?:\s+(\S.*))?$/;

/**
 * A ```http block: requests as `METHOD /path` with optional `Name: value` header lines, then a
 * body (or the body on the request line after the path), and optionally `→ 201 {keys}` for the
 * response the docs show. `#` lines are comments. Sent with $KEY unless it names Authorization.
 */
async function runHttpBlock(block: CodeBlock, node: DocNode, bindings: Bindings): Promise<string[]> {
  const failures: string[] = [];
  const requests: { line: number; method: string; path: string; headers: Record<string, string>; body: string[]; shown: string }[] = [];
  let inHeaders = false;
  let inShown = false;
  block.body.split('\n').forEach((text, index) => {
    const current = requests.at(-1);
    const request = HTTP_REQUEST.exec(text);
    if (text.startsWith('#')) return;
    if (request) {
      requests.push({ line: block.line + index + 1, method: request[1]!, path: request[2]!, headers: {}, body: request[3] ? [request[3]] : [], shown: '' });
      inHeaders = !request[3];
      inShown = false;
    } else if (!current) {
      if (text.trim()) failures.push(`line ${block.line + index + 1}: text before the first request`);
    } else if (text.trim().startsWith('→') || inShown) {
      current.shown += ` ${text.trim()}`;
      inShown = true;
    } else if (inHeaders && /^[\w-]+:\s/.test(text)) {
      const [name, ...value] = text.split(':');
      current.headers[name!.toLowerCase()] = value.join(':').trim();
    } else if (inHeaders && text.trim() === '') {
      inHeaders = false;
    } else {
      inHeaders = false;
      current.body.push(text);
    }
  });
  for (const request of requests) {
    try {
      const fill = (text: string) => fillPlaceholders(text.replace(/\$(\w+)/g, (_, name: string) => {
        const value = bindings.values.get(name);
        if (value === undefined) throw new Error(`$${name} not bound (bind it in test/docs/example-setup.ts)`);
        return value;
      }), bindings);
      const body = request.body.join('\n').trim();
      const headers = { ...authorization(bindings), ...(body ? { 'content-type': 'application/json' } : {}), ...request.headers };
      const url = fill(request.path);
      const response = await node.app.inject({ method: request.method as 'GET', url, headers, ...(body ? { payload: fill(body) } : {}) });
      const failure = checkResponse(`${request.method} ${url}`, response, request.shown.replace(/^\s*→\s*/, ''), bindings);
      if (failure) failures.push(`line ${request.line}: ${failure}`);
    } catch (error) {
      failures.push(`line ${request.line}: ${(error as Error).message}`);
    }
  }
  return failures;
}

/** Request bodies are sent with the admin key bound to $KEY. */
function authorization(bindings: Bindings): Record<string, string> {
  return { authorization: `Bearer ${bindings.values.get('KEY')}` };
}

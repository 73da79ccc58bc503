/**
 * The usage of every `accord` command, one table entry per command: `--help`, `accord help`, the
 * overview and the usage errors are all rendered from it, so a command's text is written once and a
 * new command shows up everywhere, tests included. It lives apart from the commands so that help
 * loads none of them.
 */
import { regimes } from '../consent/consent-event.ts';
import { DEFAULT_MIN_CELL } from '../core/segments/segment-portrait.ts';
import { scopes } from '../core/tenancy/scopes.ts';

export interface CommandUsage {
  /** The words after `accord`: `keys create`. */
  readonly command: string;
  /** Its arguments and options, as typed. */
  readonly args: string;
  /** What it does, in one line. */
  readonly summary: string;
  /** Lines `--help` adds: what a file holds, what an option takes. */
  readonly notes?: readonly string[];
}

const TENANT = '[--tenant slug]';
const REGIME_NOTE = 'regime: what the tenant\'s own profiling (tags, segments) runs under; pipl unless set';
const LISTING = `${TENANT} [--json]`;
const FILE = '[--lenient] [--format csv|ndjson] [--encoding utf-8|gb18030]';
const PARTY = '--server <brand node URL> --collaboration <id> --key <party key file>';
const PARTY_OPTIONS = '[--server-key <base64>] [--timeout <seconds>]';
const PARTY_NOTE = '--timeout: seconds to wait for each answer of the brand node (default 30; PSI frames get 300)';

export const commandUsages = [
  { command: 'start', args: '[--no-worker]', summary: 'run the node: API on PORT (default 8080), jobs and console; stops cleanly on SIGINT or SIGTERM', notes: ['--no-worker: leave the jobs to `accord worker` processes sharing the queue through REDIS_URL'] },
  { command: 'worker', args: '', summary: 'run jobs only; processes share the queue through REDIS_URL' },
  { command: 'migrate', args: '', summary: 'bring the database to the latest schema (start does this too)' },
  { command: 'openapi', args: '', summary: "print the node's OpenAPI 3.1 document (what /openapi.json serves), without a running node" },
  { command: 'tenants create', args: `<slug> [--name N] [--regime ${regimes.join('|')}]`, summary: 'a workspace on this node; prints its slug, id and name', notes: [REGIME_NOTE] },
  { command: 'tenants regime', args: `<slug> <${regimes.join('|')}>`, summary: "change the regime the tenant's own profiling runs under", notes: [REGIME_NOTE] },
  { command: 'tenants list', args: '', summary: 'the workspaces on this node: slug, id, name' },
  { command: 'keys create', args: `--scopes a,b ${TENANT} [--name N]`, summary: 'a new API key, printed once; the node stores only its hash', notes: [`scopes: ${scopes.join(', ')}`] },
  { command: 'keys list', args: TENANT, summary: "the tenant's API keys: id, name, scopes, active or revoked" },
  { command: 'keys revoke', args: '<id>', summary: 'revoke an API key; the node refuses it from then on' },
  { command: 'consent verify', args: `${TENANT} [--subject ref]`, summary: "recompute the consent hash chain and the signed checkpoints, of the whole log or of one person's records; exit 1 naming the first altered event" },
  { command: 'consent import', args: `<file> [--dry-run] ${FILE} [--time-zone IANA-zone] ${TENANT}`, summary: 'import consent records; the same file again resumes or appends nothing' },
  { command: 'import', args: `<members|orders|events> <file> ${FILE} ${TENANT}`, summary: 'ingest first-party data with a progress line; the same file again resumes or changes nothing' },
  { command: 'tags list', args: LISTING, summary: "the tenant's tags: key, kind, value type, schedule, owner" },
  {
    command: 'tags define',
    args: `<key> --type boolean|number|text [--multi] --description D --owner O [--rule rule.json | --sql query.sql] [--schedule seconds] ${LISTING}`,
    summary: 'define a static tag, a rule tag (a JSON rule) or a SQL tag (one SELECT over the tag views); rule and SQL tags may recompute on a schedule',
  },
  {
    command: 'tags set',
    args: `<key> <values.csv> [--lenient] ${LISTING}`,
    summary: "set a static tag's values from a CSV, all or nothing unless --lenient skips rows naming nobody",
    notes: ['columns: person_id or one identifier column (email, wechat_openid@app, ...) and value;', 'an empty value removes it; a multi-valued tag takes one row per value'],
  },
  { command: 'tags compute', args: `<key | builtins> ${LISTING}`, summary: 'compute a rule or SQL tag (or the built-in RFM, lifecycle and CLV tags) now, with its processing record' },
  { command: 'tags person', args: `<person-id | type[@scope]=value> ${LISTING}`, summary: 'every tag value of one person' },
  { command: 'segments list', args: LISTING, summary: "the tenant's segments: id, name, kind, members, schedule, last refresh" },
  { command: 'segments show', args: `<id> ${LISTING}`, summary: 'one segment with its rule and import report' },
  { command: 'segments estimate', args: `<rule.json> ${LISTING}`, summary: 'how many persons the rule selects now' },
  {
    command: 'segments create',
    args: `<name> (--rule rule.json [--kind static|dynamic] [--schedule seconds] | --identifiers list.csv [--region CN]) ${LISTING}`,
    summary: 'a static or dynamic segment from a JSON rule, or an imported one from a CSV of identifiers',
    notes: ['--identifiers: a CSV whose columns are named by identifier type (email, phone, wechat_openid@app)'],
  },
  { command: 'segments refresh', args: `<id> ${LISTING}`, summary: 're-evaluate a dynamic segment now' },
  { command: 'segments members', args: `<id> [--purpose P --regime pipl|gdpr|ccpa [--recipient R]] ${LISTING}`, summary: 'the member count; for a purpose, counted through the consent gate, which writes a processing record' },
  {
    command: 'segments portrait',
    args: `<id> --by attribute:<key> | tag:<key> | age_band | lifecycle | order_channel ... [--k ${DEFAULT_MIN_CELL}] ${LISTING}`,
    summary: `the members' distributions by up to 10 dimensions; no cell describes fewer than k people (k at least ${DEFAULT_MIN_CELL})`,
  },
  { command: 'models list', args: LISTING, summary: "this tenant's federated models: id, name, target, role, status, epochs done" },
  { command: 'models show', args: `<id> ${LISTING}`, summary: 'the model card: spec, approvals, features, metrics, audit verdict, ε of the label noise, bytes exchanged' },
  { command: 'models card', args: `<id> ${LISTING}`, summary: 'the same as models show' },
  { command: 'models watch', args: `<id> [--interval seconds] ${TENANT}`, summary: 'a progress line per epoch (validation AUC and loss at the brand) until the model is trained or failed' },
  { command: 'models propose', args: `<spec.json> ${LISTING}`, summary: 'propose a model in a collaboration that allows scoring (brand); the provider approves it', notes: ['spec.json: collaborationId, name, target (speed|revenue|lookalike), psiRunId, labelTag, brandTags, providerTags, batchRows, epochs, labelDpSigma'] },
  { command: 'models approve', args: `<id> [--constraints file.json] ${LISTING}`, summary: 'approve a proposed model (provider); constraints may only tighten it', notes: ['constraints: minLabelDpSigma, minBatchRows, maxEpochs, providerTags'] },
  { command: 'models train', args: `<id> [--interval seconds] ${LISTING}`, summary: 'align the rows of an approved model with the provider and start training (brand), then watch it' },
  { command: 'models score', args: `<speed model id> --segment <id> [--revenue <model id>] ${LISTING}`, summary: 'lead scores for a segment of at least 100 leads, stored as tags lead_speed and lead_revenue' },
  { command: 'models lookalike', args: `<model id> --sizes n,n,... ${LISTING}`, summary: "expand a lookalike model's seed: the provider keeps the audience; prints recall and lift per size" },
  {
    command: 'sync destinations add',
    args: `<connector> --account <id> --credentials <file.json> [--name N] ${LISTING}`,
    summary: 'connect an ad account (tencent, oceanengine, kuaishou, meta, google, tiktok, tiktok_file, ttd, amazon); its credentials are sealed and never printed',
    notes: ['credentials: {"accessToken": "...", "refreshToken": "...", "clientId": "...", "clientSecret": "..."} (refresh fields where the platform refreshes tokens)'],
  },
  { command: 'sync destinations list', args: LISTING, summary: 'the connected ad accounts: id, platform, account, active or disabled' },
  {
    command: 'sync create',
    args: `<name> (--segment <id> | --psi-run <run id>) --destination <id> ... --purpose P --regime ${regimes.join('|')} [--schedule seconds] ${LISTING}`,
    summary: 'sync an audience to destinations for a consent purpose, once or every --schedule seconds',
  },
  { command: 'sync preview', args: `<id> ${LISTING}`, summary: 'dry run per destination: members by id type, rejects by reason, consent exclusions, adds and removes (writes the processing record)' },
  { command: 'sync run', args: `<id> ${LISTING}`, summary: 'start a run (a worker of the node sends it); a run already open is joined, never doubled' },
  { command: 'sync status', args: `<id> ${LISTING}`, summary: 'the runs, newest first: state per destination, adds, removes, exclusions, dead letters, match signals, errors' },
  { command: 'psi keygen', args: '--out <file> [--name <party name>]', summary: 'a new party key; prints the node id and public key the brand pins (POST /v1/peers without baseUrl)' },
  { command: 'psi approve', args: `${PARTY} [--constraints <file.json>] ${PARTY_OPTIONS} [--yes]`, summary: "show the collaboration's terms, verified, and sign this party's approval", notes: [PARTY_NOTE] },
  {
    command: 'psi join',
    args: `${PARTY} --input <file> --id-type <type[,type]> [--column <name> | --column type=name,...] [--default-region CN] [--output <matched.csv>] [--workers N] ${PARTY_OPTIONS}`,
    summary: 'run PSI from a file against the brand node; prints the overlap the terms allow and writes the matched rows they release',
    notes: [PARTY_NOTE],
  },
  {
    command: 'demo',
    args: '[--members N] [--partner-users M]',
    summary: 'two nodes on this machine: consents, N generated members (default 100,000) through ingest, tags and segments, PSI with a partner of M users (default 1,000,000)',
  },
] as const satisfies readonly CommandUsage[];

export type CommandName = (typeof commandUsages)[number]['command'];
/** A command, or the first word of several (`tags`): what `accord <words> --help` may ask about. */
export type UsageTopic = CommandName | GroupOf<CommandName>;
type GroupOf<Name> = Name extends `${infer Group} ${string}` ? Group : never;

const entriesOf = (topic: string): readonly CommandUsage[] => commandUsages.filter((entry) => entry.command === topic || entry.command.startsWith(`${topic} `));

const usageLine = (entry: CommandUsage) => `accord ${entry.command}${entry.args ? ` ${entry.args}` : ''}`;

/** The usage of a command, or of every command under a word: `usage: accord keys create --scopes a,b ...` and what it does. */
export function usageText(topic: UsageTopic): string {
  const entries = entriesOf(topic);
  const described = (entry: CommandUsage, indent: string) => [entry.summary, ...(entry.notes ?? [])].map((line) => indent + line);
  if (entries.length === 1) return [`usage: ${usageLine(entries[0]!)}`, ...described(entries[0]!, '  ')].join('\n');
  return ['usage:', ...entries.flatMap((entry) => [`  ${usageLine(entry)}`, ...described(entry, '      ')])].join('\n');
}

const width = Math.max(...commandUsages.map((entry) => entry.command.length));

/** `accord` alone, `accord --help`: every command with what it does. */
export const overviewText = [
  'usage: accord <command> [--verbose]',
  '',
  ...commandUsages.map((entry) => `  ${entry.command.padEnd(width)}  ${entry.summary}`),
  '',
  'accord <command> --help (or accord help <command>) shows its arguments and options.',
  '--verbose, anywhere on the line, or LOG_LEVEL=debug prints the stack of a failure.',
  'Configuration comes from the environment (see README): PORT, HOST, DATABASE_URL, REDIS_URL, ACCORD_DATA_DIR, ...',
].join('\n');

/** The longest leading run of `words` that names a command or a group (`tags define vip` is `tags define`). */
export function topicOf(words: readonly string[]): UsageTopic | undefined {
  for (let n = words.length; n > 0; n--) {
    const topic = words.slice(0, n).join(' ');
    if (entriesOf(topic).length > 0) return topic as UsageTopic;
  }
  return undefined;
}

/**
 * `accord <command>`: the commands and their usage are in command-usages.ts; `--help` on any of
 * them, `accord help <command>` and `accord <group> help` print it. A failure is one line
 * (error-line.ts) and exit 1; `--verbose` anywhere on the line, or LOG_LEVEL=debug, adds the stack.
 * A command's code is loaded only when it runs, so help and the small commands start fast.
 */
import { inspect, parseArgs } from 'node:util';
import { loadConfig } from '../core/config/config.ts';
import { overviewText, topicOf, usageText } from './command-usages.ts';
import { errorLine } from './error-line.ts';
import { UsageError } from './usage-error.ts';

/** The one consent gate of this process (a command runs once per process). */
const processGate = async () => new (await import('../core/consent/consent-gate.ts')).ConsentGate();

const commands: Readonly<Record<string, (args: string[]) => Promise<void>>> = {
  async start(args) {
    const { values } = parseArgs({ args, options: { 'no-worker': { type: 'boolean' } } });
    return (await import('./start-command.ts')).startCommand(loadConfig(), { api: true, worker: !values['no-worker'] });
  },
  async worker(args) {
    parseArgs({ args, options: {} });
    return (await import('./start-command.ts')).startCommand(loadConfig(), { api: false, worker: true });
  },
  async migrate(args) {
    parseArgs({ args, options: {} });
    return (await import('./migrate-command.ts')).migrateCommand(loadConfig());
  },
  keys: async (args) => (await import('./keys-command.ts')).keysCommand(loadConfig(), args),
  tenants: async (args) => (await import('./tenants-command.ts')).tenantsCommand(loadConfig(), args),
  async consent(args) {
    if (args[0] === 'import') return (await import('./consent-import-command.ts')).consentImportCommand(loadConfig(), args.slice(1));
    return (await import('./consent-command.ts')).consentCommand(loadConfig(), args);
  },
  import: async (args) => (await import('./import-command.ts')).importCommand(loadConfig(), args),
  tags: async (args) => (await import('./tags-command.ts')).tagsCommand(loadConfig(), await processGate(), args),
  segments: async (args) => (await import('./segments-command.ts')).segmentsCommand(loadConfig(), await processGate(), args),
  sync: async (args) => (await import('./sync-command.ts')).syncCommand(loadConfig(), await processGate(), args),
  psi: async (args) => (await import('./psi-command.ts')).psiCommand(args),
  models: async (args) => (await import('./models-command.ts')).modelsCommand(loadConfig(), await processGate(), args),
  demo: async (args) => (await import('./demo-command.ts')).demoCommand(args),
  openapi: async (args) => (await import('./openapi-command.ts')).openApiCommand(args),
};

const HELP_FLAGS = ['--help', '-h'];

/** Options end at `--`; what follows is an argument, even `--verbose`. */
const optionsEnd = (args: readonly string[]) => (args.includes('--') ? args.indexOf('--') : args.length);

/** The words before the first option: `keys create`, `tags define vip`. */
function leadingWords(args: readonly string[]): string[] {
  const option = args.findIndex((arg) => arg.startsWith('-'));
  return option < 0 ? [...args] : args.slice(0, option);
}

/** The words help is asked on (`accord keys create --help`, `accord help keys`, `accord tags help`), or undefined. */
function helpAsked(args: readonly string[]): string[] | undefined {
  const end = optionsEnd(args);
  if (args.slice(0, end).some((arg) => HELP_FLAGS.includes(arg))) return leadingWords(args.filter((arg, i) => i >= end || !HELP_FLAGS.includes(arg)));
  const words = leadingWords(args);
  if (words[0] === 'help') return words.slice(1);
  if (words[1] === 'help' && topicOf(words.slice(0, 1))) return words.slice(0, 1);
  return undefined;
}

async function main(args: string[]): Promise<void> {
  const help = helpAsked(args) ?? (args.length === 0 ? [] : undefined);
  if (help) {
    const topic = topicOf(help);
    if (help.length > 0 && !topic) throw new UsageError(`unknown command "${help.join(' ')}"\n\n${overviewText}`);
    console.log(topic ? usageText(topic) : overviewText);
    return;
  }
  const [command, ...rest] = args as [string, ...string[]];
  if (!Object.hasOwn(commands, command)) throw new UsageError(`unknown command "${command}"\n\n${overviewText}`);
  await commands[command]!(rest);
}

const argv = process.argv.slice(2);
// --verbose is accord's, not the command's: it is taken out before the command parses its options.
const args = argv.filter((arg, i) => i >= optionsEnd(argv) || arg !== '--verbose');
try {
  await main(args);
} catch (error) {
  console.error(errorLine(error, topicOf(leadingWords(args))));
  if (args.length < argv.length || ['debug', 'trace'].includes(process.env.LOG_LEVEL ?? '')) console.error(inspect(error));
  process.exit(1);
}

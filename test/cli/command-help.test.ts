/**
 * Every command in the usage table answers `--help` with its usage and exit 0, so a command added to
 * the table is covered here without a new test.
 */
import { describe, expect, it } from 'vitest';
import { commandUsages, usageText } from '../../cli/command-usages.ts';
import { runAccord } from '../support/accord-process.ts';

const usageLine = (entry: (typeof commandUsages)[number]) => `accord ${entry.command}${entry.args ? ` ${entry.args}` : ''}`;
const groups = [...new Set(commandUsages.filter((entry) => entry.command.includes(' ')).map((entry) => entry.command.split(' ')[0]!))];

describe('accord <command> --help', () => {
  it.concurrent.each(commandUsages.map((entry) => [entry.command, entry] as const))('%s --help prints its usage and exits 0', async (command, entry) => {
    const result = await runAccord([...command.split(' '), '--help']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(`usage: ${usageLine(entry)}\n${[entry.summary, ...('notes' in entry ? entry.notes : [])].map((line) => `  ${line}\n`).join('')}`);
  });

  it.concurrent.each(groups)('%s -h prints the usage of each of its commands', async (group) => {
    const result = await runAccord([group, '-h']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const entries = commandUsages.filter((entry) => entry.command.startsWith(`${group} `));
    expect(result.stdout.split('\n').filter((line) => line.startsWith('  accord '))).toEqual(entries.map((entry) => `  ${usageLine(entry)}`));
  });

  it.concurrent('takes --help after arguments and options, and accord help <command> and accord <group> help alike', async () => {
    const asked = await runAccord(['tags', 'define', 'vip', '--type', 'text', '--help']);
    expect(asked.code).toBe(0);
    expect(asked.stdout).toMatch(/^usage: accord tags define <key> --type/);
    expect(await runAccord(['help', 'tags', 'define'])).toEqual(asked);
    expect(await runAccord(['segments', 'help'])).toEqual({ code: 0, stdout: `${usageText('segments')}\n`, stderr: '' });
  });

  it.concurrent('lists every command with what it does, alone or with --help, and refuses help on an unknown command', async () => {
    const overview = await runAccord([]);
    expect(overview.code).toBe(0);
    expect(overview.stdout).toMatch(/^usage: accord <command> \[--verbose\]\n/);
    for (const entry of commandUsages) expect(overview.stdout).toMatch(new RegExp(`^  ${entry.command} +${entry.summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    expect(await runAccord(['--help'])).toEqual(overview);
    const unknown = await runAccord(['launch', '--help']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^accord: unknown command "launch"\n\nusage: accord <command>/);
  });
});

/** A yes/no question on the terminal, for what signs in the party's name; without a terminal, --yes is required. */
import { createInterface } from 'node:readline/promises';
import { UsageError } from './usage-error.ts';

export async function confirm(question: string, assumeYes: boolean): Promise<boolean> {
  if (assumeYes) return true;
  if (!process.stdin.isTTY) throw new UsageError('no terminal to confirm on: give --yes to approve without a prompt');
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await terminal.question(`${question} [y/N] `)).trim());
  } finally {
    terminal.close();
  }
}

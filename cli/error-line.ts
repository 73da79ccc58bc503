/**
 * What `accord` prints when a command fails: one line saying what failed, where (a URL, host:port
 * or file path) and why, then what to try where the reason alone does not say. Errors raised on
 * purpose (codes ACCORD_ERR_*, usage errors) carry their own sentence; a network or file failure
 * from below is put in words here; anything else is shown as it came, with the command it stopped.
 * The stack is `--verbose`'s business, not this line's.
 */
import { fileErrorReason } from '../core/files/file-error-reason.ts';
import { networkFailureReason } from '../core/peers/network-failure-reason.ts';
import { UsageError } from './usage-error.ts';

/** What to try after a coded failure whose message says what and why but not what next. */
const nextSteps: Readonly<Record<string, string>> = {
  ACCORD_ERR_PEER_UNREACHABLE: 'Check the address, and that the node runs and is reachable from here.',
  ACCORD_ERR_DATABASE_UNREACHABLE: 'Check DATABASE_URL, and that the database runs.',
  ACCORD_ERR_QUEUE_UNREACHABLE: 'Check REDIS_URL, and that Redis runs.',
};

/** The system call that touched a file, as what the command was doing. */
const fileActions: Readonly<Record<string, string>> = {
  open: 'open',
  read: 'read',
  write: 'write',
  access: 'open',
  stat: 'find',
  lstat: 'find',
  mkdir: 'create the folder',
  scandir: 'list the folder',
  rename: 'rename',
  unlink: 'remove',
  rmdir: 'remove',
  copyfile: 'copy',
  chmod: 'change the mode of',
};

/** Why a port could not be had, for `accord start`. */
const listenReasons: Readonly<Record<string, string>> = {
  EADDRINUSE: 'another process uses this port',
  EACCES: 'this user may not use this port',
  EADDRNOTAVAIL: 'this machine has no such address',
};

type Failure = Error & { code?: unknown; syscall?: string; path?: string; address?: string; port?: number };

const sentence = (text: string, next: string) => `${text.replace(/\.$/, '')}. ${next}`;

/** `topic` is the command that failed (`psi join`), for what to try and for failures nobody explained. */
export function errorLine(error: unknown, topic?: string): string {
  return `accord: ${explain(error instanceof Error ? error : new Error(String(error)), topic)}`;
}

function explain(failure: Failure, topic: string | undefined): string {
  const code = typeof failure.code === 'string' ? failure.code : undefined;
  if (failure instanceof UsageError) return failure.message;
  if (code?.startsWith('ERR_PARSE_ARGS')) return sentence(failure.message.split('. ')[0]!, `${topic ? `accord ${topic}` : 'accord'} --help shows the usage.`);
  if (code?.startsWith('ACCORD_ERR_')) return nextSteps[code] ? sentence(failure.message, nextSteps[code]) : failure.message;
  if ((failure.name === 'TypeError' && failure.message === 'fetch failed') || failure.name === 'TimeoutError') {
    return sentence(`an HTTP request failed: ${networkFailureReason(failure)}`, nextSteps.ACCORD_ERR_PEER_UNREACHABLE!);
  }
  if (code && failure.syscall === 'listen') {
    const why = listenReasons[code] ? `${listenReasons[code]} (${code})` : failure.message;
    return sentence(`cannot listen on ${failure.address}:${failure.port}: ${why}`, 'Set HOST and PORT to a free address.');
  }
  if (code && failure.syscall && failure.path) return `cannot ${fileActions[failure.syscall] ?? failure.syscall} ${failure.path}: ${fileErrorReason(failure)}`;
  // Some libraries' messages run over several lines (a ZodError is JSON); the line stays one line.
  const message = failure.message.replace(/\s*\n\s*/g, ' ');
  return `${topic ?? 'the command'} stopped: ${failure.name === 'Error' ? message : `${failure.name}: ${message}`} (run it again with --verbose for the stack)`;
}

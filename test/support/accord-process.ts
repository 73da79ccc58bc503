/** Runs the real `accord` command in a child process, as an operator would. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/accord.js', import.meta.url));

/** A clean environment: only what the test passes, so the developer's shell settings do not leak in. */
const baseEnv = () => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info' });

export async function runAccord(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...baseEnv(), ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

export interface StartedAccord {
  url: string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `accord start` (PORT=0 unless given) and resolves once it logs that it is ready. */
export async function startAccord(env: Record<string, string>, args: string[] = ['start']): Promise<StartedAccord> {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...baseEnv(), PORT: '0', ...env } });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = once(child, 'exit');
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      for (const line of buffer.split('\n')) {
        if (line.includes('Accord node ready')) resolve(JSON.parse(line).url);
      }
    });
    void exited.then(() => reject(new Error(`accord exited before it was ready: ${stderr}`)));
  });
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

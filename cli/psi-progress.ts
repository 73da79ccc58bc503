/**
 * The progress of `accord psi join` on stderr: rows read, then per identifier type the protocol's
 * phase and frames. On a terminal one line redraws in place (at most ten times a second); elsewhere
 * (a log, a pipe) a line is printed when the phase changes, so logs stay short.
 */
import type { PsiClientProgress } from '../core/psi/psi-client.ts';

const BAR_WIDTH = 24;
const REDRAW_MS = 100;

const phaseNames: Record<PsiClientProgress['phase'], string> = {
  waiting: 'waiting for the server to blind its set',
  sending: 'sending blinded set',
  fetching: 'fetching',
  returning: 'returning',
  done: 'done',
};

function bar(done: number, total: number): string {
  if (total <= 0) return '';
  const filled = Math.min(BAR_WIDTH, Math.round((BAR_WIDTH * done) / total));
  return ` ${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
}

export interface PsiProgressBar {
  reading(rows: number): void;
  step(progress: PsiClientProgress): void;
  /** Ends the redrawn line, if any. */
  close(): void;
}

export function psiProgressBar(stream: NodeJS.WriteStream = process.stderr): PsiProgressBar {
  const live = stream.isTTY === true;
  let lastDraw = 0;
  let lastKey = '';
  let drawn = false;
  const show = (line: string, key: string, force = false) => {
    if (live) {
      const now = performance.now();
      if (!force && now - lastDraw < REDRAW_MS) return;
      lastDraw = now;
      stream.write(`\r\x1b[2K${line}`);
      drawn = true;
    } else if (key !== lastKey) {
      stream.write(`${line}\n`);
    }
    lastKey = key;
  };
  return {
    reading: (rows) => show(`reading: ${rows} rows`, 'reading'),
    step({ idType, phase, done, total }) {
      const frames = phase === 'waiting' || phase === 'done' ? '' : phase === 'fetching' ? ` ${done} frames` : `${bar(done, total)} ${done}/${total} frames`;
      show(`${idType}: ${phaseNames[phase]}${frames}`, `${idType}:${phase}`, phase === 'done');
    },
    close() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}

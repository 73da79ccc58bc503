/**
 * How training rows map to batches and ciphertexts. Rows are cut into chunks of one ciphertext each
 * (`slots` rows), and whole chunks into the largest number of fixed, disjoint batches that each hold
 * at least `batchRows` rows. Fixed batches keep the privacy accounting simple (each row is in one
 * release per epoch) and whole chunks keep ciphertexts full: 100,000 rows at 16,384 per batch make
 * 6 batches of 4–5 chunks, 25 ciphertexts an epoch rather than 30.
 */
import type { ScoringModelSpec } from './model-spec.ts';

export interface RowRange {
  readonly start: number;
  readonly end: number;
}

export interface Batch extends RowRange {
  readonly chunks: readonly RowRange[];
}

export function batchLayout(rows: number, batchRows: number, slots: number): Batch[] {
  if (rows < batchRows) throw new RangeError(`${rows} rows cannot fill a batch of ${batchRows}`);
  const chunkCount = Math.ceil(rows / slots);
  const chunk = (c: number): RowRange => ({ start: c * slots, end: Math.min(rows, (c + 1) * slots) });
  // A batch is at least one chunk, so there are never more batches than chunks.
  for (let count = Math.min(Math.floor(rows / batchRows), chunkCount); ; count--) {
    const bounds = Array.from({ length: count + 1 }, (_, b) => Math.floor((b * chunkCount) / count));
    const batches = bounds.slice(0, -1).map((first, b) => {
      const chunks = Array.from({ length: bounds[b + 1]! - first }, (_, i) => chunk(first + i));
      return { start: chunks[0]!.start, end: chunks.at(-1)!.end, chunks };
    });
    // One batch always qualifies (rows ≥ batchRows), so the loop ends.
    if (batches.every((batch) => batch.end - batch.start >= batchRows)) return batches;
  }
}

/** The batch a step trains on: epochs pass over the same batches in the same order. */
export function batchOfStep(batches: readonly Batch[], step: number): Batch {
  return batches[step % batches.length]!;
}

export const totalSteps = (spec: ScoringModelSpec, batches: readonly Batch[]) => spec.epochs * batches.length;

/** Refuses a step number the model does not have. */
export function checkStep(spec: ScoringModelSpec, batches: readonly Batch[], step: number): void {
  const steps = totalSteps(spec, batches);
  if (!Number.isSafeInteger(step) || step < 0 || step >= steps) throw new RangeError(`step ${step} is outside 0..${steps - 1}`);
}

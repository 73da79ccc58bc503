/** Failures queued by a test, met by the next API calls in order; a row rejection waits for the next upload. */

/** A failure the next API call meets (reject_row: the next upload refuses that row). */
export type Fault = { readonly kind: 'unavailable' } | { readonly kind: 'timeout' } | { readonly kind: 'error_in_200'; readonly code?: number } | { readonly kind: 'reject_row'; readonly index: number };

export type CallFault = Exclude<Fault, { kind: 'reject_row' }>;

export class FaultQueue {
  private readonly calls: CallFault[] = [];
  private readonly rows: number[] = [];

  push(fault: Fault): void {
    if (fault.kind === 'reject_row') this.rows.push(fault.index);
    else this.calls.push(fault);
  }

  nextCall(): CallFault | undefined {
    return this.calls.shift();
  }

  /** The row index the next upload must refuse, if a test asked for one. */
  nextRejectedRow(): number | undefined {
    return this.rows.shift();
  }
}

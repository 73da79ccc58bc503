/**
 * Conversions checked before sending: an event the platform would refuse (too old, no key to match
 * on, a name it has no event for) is set aside with its position, so one bad event does not cost
 * the whole call on platforms that refuse batches (Meta).
 */
import type { RejectedRow } from '../../core/activation/activation-errors.ts';
import type { ConversionEvent } from '../../core/activation/conversion-sender.ts';

export interface Screened<T> {
  readonly send: ReadonlyArray<{ readonly index: number; readonly payload: T }>;
  readonly rejected: RejectedRow[];
}

/** `build` returns the wire payload for an event, or a string saying why it cannot go. */
export function screenEvents<T>(events: readonly ConversionEvent[], build: (event: ConversionEvent) => T | string): Screened<T> {
  const send: Array<{ index: number; payload: T }> = [];
  const rejected: RejectedRow[] = [];
  events.forEach((event, index) => {
    const payload = build(event);
    if (typeof payload === 'string') rejected.push({ index, reason: payload });
    else send.push({ index, payload });
  });
  return { send, rejected };
}

/** Seconds since the epoch of an ISO 8601 instant, or undefined when it is not one. */
export function epochMs(iso: string): number | undefined {
  const at = Date.parse(iso);
  return Number.isNaN(at) ? undefined : at;
}

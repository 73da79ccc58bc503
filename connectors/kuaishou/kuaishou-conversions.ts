/**
 * Kuaishou conversion callbacks (回传, reference §2.1, 🟡): one GET per event to track/activate with
 * the `callback` from the click URL (__CALLBACK__), event_type (1 activation, 2 registration,
 * 3 payment, 9 form, 13 add to cart), event_time in milliseconds and, for payments and cart
 * events, purchase_amount in 元 with two decimals. The answer `{result: 1}` for success is ❓.
 */
import { ActivationError } from '../../core/activation/activation-errors.ts';
import type { ConversionName, ConversionSender } from '../../core/activation/conversion-sender.ts';
import { decimalToMicros } from '../common/money.ts';
import { epochMs, screenEvents } from '../common/screen-events.ts';
import { kuaishouAssumptions, type KuaishouAssumptions } from './kuaishou-assumptions.ts';
import { kuaishouClient } from './kuaishou-client.ts';

const EVENT_TYPES: Record<ConversionName, number> = { app_activation: 1, registration: 2, purchase: 3, lead: 9, add_to_cart: 13 };
const NEEDS_AMOUNT = new Set([3, 12, 13, 14, 15]);

/** 元 with two decimals, rounded half up. */
const yuan = (amount: string) => {
  const cents = (decimalToMicros('kuaishou', amount) + 5_000n) / 10_000n;
  return `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
};

export function kuaishouConversions(overrides: Partial<KuaishouAssumptions> = {}): ConversionSender {
  const client = kuaishouClient({ ...kuaishouAssumptions, ...overrides });
  return {
    platform: 'kuaishou',
    maxEventsPerCall: 1,
    async send(ctx, _target, events) {
      const { send, rejected } = screenEvents(events, (event) => {
        const at = epochMs(event.occurredAt);
        if (at === undefined) return 'occurredAt is not an ISO 8601 time';
        if (!event.click?.callback) return 'no callback: Kuaishou matches conversions by the click callback';
        const type = EVENT_TYPES[event.name];
        if (NEEDS_AMOUNT.has(type) && event.value?.currency !== 'CNY') return 'Kuaishou needs the amount in CNY for this event';
        return { callback: event.click.callback, event_type: type, event_time: at, ...(event.value ? { purchase_amount: yuan(event.value.amount) } : {}) };
      });
      for (const { payload } of send) {
        const response = await client.send(ctx, { method: 'GET', url: client.url(ctx, 'track', '/track/activate'), query: payload });
        if ((response.body as { result?: unknown }).result !== 1) throw new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', `kuaishou: the callback was not taken: ${JSON.stringify(response.body)}`, { platform: 'kuaishou', httpStatus: response.status });
      }
      return { sent: send.length, rejected };
    },
  };
}

/**
 * Ocean Engine Conversion API (reference §2.1, 🟡): one event per call to analytics.oceanengine.com,
 * matched by the `callback` the platform put in the click URL (__CALLBACK_PARAM__ or clickid),
 * time in milliseconds. No access token: the callback is the credential.
 */
import type { ConversionSender } from '../../core/activation/conversion-sender.ts';
import { LosslessNumber } from 'lossless-json';
import { epochMs, screenEvents } from '../common/screen-events.ts';
import { oceanEngineAssumptions, type OceanEngineAssumptions } from './oceanengine-assumptions.ts';
import { oceanEngineClient } from './oceanengine-client.ts';

export function oceanEngineConversions(overrides: Partial<OceanEngineAssumptions> = {}): ConversionSender {
  const assumptions = { ...oceanEngineAssumptions, ...overrides };
  const client = oceanEngineClient(assumptions);
  return {
    platform: 'oceanengine',
    maxEventsPerCall: 1,
    async send(ctx, _target, events) {
      const { send, rejected } = screenEvents(events, (event) => {
        const at = epochMs(event.occurredAt);
        if (at === undefined) return 'occurredAt is not an ISO 8601 time';
        if (!event.click?.callback) return 'no callback: Ocean Engine matches conversions by the click callback';
        return {
          event_type: assumptions.eventTypes[event.name],
          context: { ad: { callback: event.click.callback } },
          timestamp: at,
          ...(event.value ? { properties: { pay_amount: new LosslessNumber(event.value.amount) } } : {}),
        };
      });
      for (const { payload } of send) await client.send(ctx, { method: 'POST', url: client.url(ctx, 'analytics', '/api/v2/conversion'), json: payload });
      return { sent: send.length, rejected };
    },
  };
}

/**
 * TikTok Events API 2.0 (reference §2.1): event/track with an event source (pixel or offline
 * event set) and a list of events, each with event_time in seconds, event_id for deduplication and
 * user data hashed like audience ids (email, phone E.164 with "+") or the click's ttclid.
 */
import type { ConversionSender } from '../../core/activation/conversion-sender.ts';
import { LosslessNumber } from 'lossless-json';
import { epochMs, screenEvents } from '../common/screen-events.ts';
import { tiktokAssumptions, type TikTokAssumptions } from './tiktok-assumptions.ts';
import { tiktokClient } from './tiktok-client.ts';
import { tiktokIdentifiers } from './tiktok-identifiers.ts';

export function tiktokConversions(options: { eventSource?: 'web' | 'app' | 'offline' | 'crm'; assumptions?: Partial<TikTokAssumptions> } = {}): ConversionSender {
  const assumptions = { ...tiktokAssumptions, ...options.assumptions };
  const client = tiktokClient(assumptions);
  return {
    platform: 'tiktok',
    maxEventsPerCall: assumptions.eventBatchLimit,
    async send(ctx, target, events) {
      const { send, rejected } = screenEvents(events, (event) => {
        const at = epochMs(event.occurredAt);
        if (at === undefined) return 'occurredAt is not an ISO 8601 time';
        const prepared = event.user ? tiktokIdentifiers.prepare(event.user, ['EMAIL_SHA256', 'PHONE_SHA256']) : undefined;
        const ids = prepared?.ok ? prepared.member.ids : [];
        const user = {
          ...Object.fromEntries(ids.map((id) => [id.type === 'EMAIL_SHA256' ? 'email' : 'phone', id.value])),
          ...(event.click?.ttclid ? { ttclid: event.click.ttclid } : {}),
        };
        if (Object.keys(user).length === 0) return 'no ttclid, email or phone to match on';
        return {
          event: assumptions.eventNames[event.name],
          event_time: Math.floor(at / 1000),
          event_id: event.id,
          user,
          ...(event.value ? { properties: { value: new LosslessNumber(event.value.amount), currency: event.value.currency } } : {}),
        };
      });
      if (send.length > 0) {
        await client.call(ctx, {
          method: 'POST',
          url: client.url(ctx, 'api', '/open_api/v1.3/event/track/'),
          json: { event_source: options.eventSource ?? 'offline', event_source_id: target, data: send.map((entry) => entry.payload) },
        });
      }
      return { sent: send.length, rejected };
    },
  };
}

/**
 * Meta Conversions API (reference §2.1): POST /{pixel}/events with up to 1,000 server events,
 * user data hashed like customer-file keys (em, ph). One invalid event makes Meta refuse the whole
 * call, so events it would refuse (too old, nothing to match on) are set aside before sending.
 * action_source defaults to physical_store (offline sales, 62-day window; 7 days otherwise).
 */
import type { ConversionName, ConversionSender } from '../../core/activation/conversion-sender.ts';
import { LosslessNumber } from 'lossless-json';
import { epochMs, screenEvents } from '../common/screen-events.ts';
import { metaAssumptions, type MetaAssumptions } from './meta-assumptions.ts';
import { metaClient } from './meta-client.ts';
import { metaIdentifiers } from './meta-identifiers.ts';

const EVENT_NAMES: Record<ConversionName, string> = {
  purchase: 'Purchase',
  registration: 'CompleteRegistration',
  app_activation: 'ActivateApp',
  lead: 'Lead',
  add_to_cart: 'AddToCart',
};

const DAY_MS = 86_400_000;

export function metaConversions(options: { actionSource?: string; now?: () => number; assumptions?: Partial<MetaAssumptions> } = {}): ConversionSender {
  const assumptions = { ...metaAssumptions, ...options.assumptions };
  const client = metaClient(assumptions);
  const actionSource = options.actionSource ?? 'physical_store';
  const maxAgeMs = (actionSource === 'physical_store' ? 62 : 7) * DAY_MS;
  const now = options.now ?? Date.now;
  return {
    platform: 'meta',
    maxEventsPerCall: 1000,
    async send(ctx, target, events) {
      const { send, rejected } = screenEvents(events, (event) => {
        const at = epochMs(event.occurredAt);
        if (at === undefined || now() - at > maxAgeMs) return `event time is not within the last ${maxAgeMs / DAY_MS} days`;
        const user = event.user ? metaIdentifiers.prepare(event.user, ['EMAIL', 'PHONE']) : undefined;
        if (!user?.ok) return 'no email or phone to match on';
        const values = (type: string) => user.member.ids.filter((id) => id.type === type).map((id) => id.value);
        return {
          event_name: EVENT_NAMES[event.name],
          event_time: Math.floor(at / 1000),
          event_id: event.id,
          action_source: actionSource,
          user_data: { em: values('EMAIL'), ph: values('PHONE') },
          ...(event.value ? { custom_data: { value: new LosslessNumber(event.value.amount), currency: event.value.currency } } : {}),
        };
      });
      if (send.length > 0) await client.call(ctx, { method: 'POST', url: client.url(ctx, 'graph', `/${assumptions.apiVersion}/${target}/events`), json: { data: send.map((entry) => entry.payload) } });
      return { sent: send.length, rejected };
    },
  };
}

/**
 * Tencent user_actions/add (reference §2.1): 1-50 actions a call into a user action set, each with
 * action_time in seconds, outer_action_id for deduplication, and the click id (trace.click_id) or
 * hashed user ids (hash_phone: MD5 of the 11-digit number, hash_imei, hash_idfa, hash_oaid, as in
 * audience files). Value in the unit tencent-assumptions.ts names (❓ 分).
 */
import type { ConversionName, ConversionSender } from '../../core/activation/conversion-sender.ts';
import { decimalToMicros } from '../common/money.ts';
import { epochMs, screenEvents } from '../common/screen-events.ts';
import { tencentAssumptions, type TencentAssumptions } from './tencent-assumptions.ts';
import { tencentClient } from './tencent-client.ts';
import { tencentIdentifiers } from './tencent-identifiers.ts';

const ACTION_TYPES: Record<ConversionName, string> = {
  purchase: 'PURCHASE',
  registration: 'REGISTER',
  app_activation: 'ACTIVATE_APP',
  lead: 'RESERVATION',
  add_to_cart: 'ADD_TO_CART',
};
const USER_ID_FIELDS: Record<string, string> = { HASH_MOBILE_PHONE: 'hash_phone', HASH_IMEI: 'hash_imei', HASH_IDFA: 'hash_idfa', HASH_OAID: 'hash_oaid' };
const OUTER_ID = /^[A-Za-z0-9_]{1,255}$/;

export function tencentConversions(options: { assumptions?: Partial<TencentAssumptions>; now?: () => number } = {}): ConversionSender {
  const assumptions = { ...tencentAssumptions, ...options.assumptions };
  const client = tencentClient(assumptions, options.now);
  return {
    platform: 'tencent',
    maxEventsPerCall: 50,
    async send(ctx, target, events) {
      const { send, rejected } = screenEvents(events, (event) => {
        const at = epochMs(event.occurredAt);
        if (at === undefined) return 'occurredAt is not an ISO 8601 time';
        if (!OUTER_ID.test(event.id)) return 'Tencent takes ids of letters, digits and _ as outer_action_id';
        const prepared = event.user ? tencentIdentifiers.prepare(event.user, Object.keys(USER_ID_FIELDS)) : undefined;
        const userId = Object.fromEntries((prepared?.ok ? prepared.member.ids : []).map((id) => [USER_ID_FIELDS[id.type], id.value]));
        if (Object.keys(userId).length === 0 && !event.click?.clickId) return 'no click id or hashed user id to match on';
        const value = event.value ? decimalToMicros('tencent', event.value.amount) / (assumptions.moneyUnit === 'fen' ? 10_000n : 1_000_000n) : undefined;
        return {
          action_time: Math.floor(at / 1000),
          action_type: ACTION_TYPES[event.name],
          outer_action_id: event.id,
          user_id: userId,
          ...(event.click?.clickId ? { trace: { click_id: event.click.clickId } } : {}),
          ...(value === undefined ? {} : { action_param: { value } }),
        };
      });
      if (send.length > 0) {
        await client.call(ctx, {
          method: 'POST',
          url: client.url(ctx, 'api', '/v3.0/user_actions/add'),
          json: { account_id: BigInt(ctx.accountId), user_action_set_id: BigInt(target), actions: send.map((entry) => entry.payload) },
        });
      }
      return { sent: send.length, rejected };
    },
  };
}

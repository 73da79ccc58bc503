/**
 * The port for sending conversions back to a platform (回传): server events with hashed user data,
 * or callbacks that carry the click id the platform put in the landing URL.
 */
import type { RejectedRow } from './activation-errors.ts';
import type { MemberInput } from './identifier-profile.ts';
import type { PlatformContext } from './platform-context.ts';

/** Canonical names; each connector maps them to its platform's (Tencent PURCHASE, Ocean Engine active_pay, Kuaishou 3). */
export type ConversionName = 'purchase' | 'registration' | 'app_activation' | 'lead' | 'add_to_cart';

export interface ConversionEvent {
  /** Deduplication key: Meta event_id, Tencent outer_action_id, Google order_id. */
  readonly id: string;
  readonly name: ConversionName;
  /** ISO 8601 with its offset. */
  readonly occurredAt: string;
  /** Decimal amount as text, never a float. */
  readonly value?: { readonly amount: string; readonly currency: string } | undefined;
  /** What the platform put in the click URL: Google gclid, TikTok ttclid, Tencent click_id, Ocean Engine / Kuaishou callback. */
  readonly click?: { readonly gclid?: string; readonly ttclid?: string; readonly clickId?: string; readonly callback?: string } | undefined;
  /** The person, hashed per the platform's profile before sending. */
  readonly user?: MemberInput | undefined;
}

export interface ConversionOutcome {
  readonly sent: number;
  /** Events refused, by position in the call: before sending (no usable key, too old) or by the platform. */
  readonly rejected: readonly RejectedRow[];
}

export interface ConversionSender {
  readonly platform: string;
  readonly maxEventsPerCall: number;
  /**
   * `target` is where conversions go on the platform: Meta pixel, TikTok event source (pixel) id,
   * Tencent user_action_set_id, Google conversion action id; callback platforms ignore it.
   */
  send(ctx: PlatformContext, target: string, events: readonly ConversionEvent[]): Promise<ConversionOutcome>;
}

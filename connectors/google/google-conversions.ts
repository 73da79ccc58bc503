/**
 * Google Ads offline click conversions (reference §2.1): UploadClickConversions with
 * partialFailure true (otherwise one bad row fails the call); each conversion needs the click's
 * gclid, the conversion action, a time as "yyyy-mm-dd hh:mm:ss+00:00" and the order id for
 * deduplication. Rows Google refuses come back in partialFailureError by position.
 */
import type { RejectedRow } from '../../core/activation/activation-errors.ts';
import type { ConversionSender } from '../../core/activation/conversion-sender.ts';
import { LosslessNumber } from 'lossless-json';
import { epochMs, screenEvents } from '../common/screen-events.ts';
import { googleAssumptions, type GoogleAssumptions } from './google-assumptions.ts';
import { googleClient } from './google-client.ts';

interface PartialFailure {
  details?: Array<{ errors?: Array<{ message?: string; location?: { fieldPathElements?: Array<{ fieldName?: string; index?: number }> } }> }>;
}

const googleTime = (at: number) => `${new Date(at).toISOString().slice(0, 19).replace('T', ' ')}+00:00`;

export function googleConversions(options: { developerToken: string; assumptions?: Partial<GoogleAssumptions> }): ConversionSender {
  const assumptions = { ...googleAssumptions, ...options.assumptions };
  const client = googleClient(options.developerToken);
  return {
    platform: 'google',
    maxEventsPerCall: assumptions.maxConversionsPerCall,
    async send(ctx, target, events) {
      const { send, rejected } = screenEvents(events, (event) => {
        const at = epochMs(event.occurredAt);
        if (at === undefined) return 'occurredAt is not an ISO 8601 time';
        if (!event.click?.gclid) return 'no gclid: Google matches click conversions by the click';
        return {
          gclid: event.click.gclid,
          conversionAction: `customers/${ctx.accountId}/conversionActions/${target}`,
          conversionDateTime: googleTime(at),
          orderId: event.id,
          ...(event.value ? { conversionValue: new LosslessNumber(event.value.amount), currencyCode: event.value.currency } : {}),
        };
      });
      if (send.length === 0) return { sent: 0, rejected };
      const response = await client.call(ctx, {
        method: 'POST',
        url: client.url(ctx, 'ads', `/${assumptions.adsApiVersion}/customers/${ctx.accountId}:uploadClickConversions`),
        json: { conversions: send.map((entry) => entry.payload), partialFailure: true },
      });
      const failure = (response.body as { partialFailureError?: PartialFailure }).partialFailureError;
      const refused: RejectedRow[] = (failure?.details ?? []).flatMap((detail) =>
        (detail.errors ?? []).flatMap((error) => {
          const at = error.location?.fieldPathElements?.find((element) => element.fieldName === 'conversions')?.index;
          return at === undefined || !send[at] ? [] : [{ index: send[at].index, reason: error.message ?? 'refused' }];
        }),
      );
      return { sent: send.length - refused.length, rejected: [...rejected, ...refused].sort((a, b) => a.index - b.index) };
    },
  };
}

/** The request body of one consent event, shared by every route that records events. */
import { z } from 'zod';
import { eventKinds, regimes } from '../../consent/consent-event.ts';

const text = (max: number) => z.string().min(1).max(max);

export const eventBody = z.object({
  clientEventId: text(200),
  subject: text(200),
  purpose: text(200),
  recipient: text(200).optional(),
  regime: z.enum(regimes),
  kind: z.enum(eventKinds),
  noticeId: z.uuid().optional(),
  channel: text(100),
  source: text(200),
  evidence: z.record(z.string().max(100), z.string()).optional(),
  collectedAt: z.iso.datetime({ offset: true }).transform((value) => new Date(value)),
  subjectIsMinor: z.boolean().optional(),
});

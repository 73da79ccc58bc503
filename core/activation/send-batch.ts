/**
 * One membership change sent to a platform, made robust: retryable failures (5xx, timeouts, rate
 * limits) wait as long as the platform asked (Retry-After, throttle codes) or back off
 * exponentially, up to a bound, then give up to the job runner; a batch refused because of named
 * rows is sent again without them; a batch refused without naming rows is split in halves until
 * the bad row stands alone; a removal refused for the audience's minimum size is reported, not
 * retried. Never more members in one call than the platform takes.
 */
import { ActivationError } from './activation-errors.ts';
import type { AudienceConnector, AudienceRef, MembershipBatch } from './audience-connector.ts';
import type { PreparedMember } from './identifier-profile.ts';
import type { PlatformContext } from './platform-context.ts';

export interface SendPolicy {
  /** Tries of one call before the failure goes to the job runner. */
  readonly attempts: number;
  /** Longest wait between tries; a platform asking for more gives the call back to the job runner. */
  readonly maxWaitMs: number;
  readonly baseBackoffMs: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export const defaultSendPolicy: SendPolicy = { attempts: 5, maxWaitMs: 60_000, baseBackoffMs: 500 };

export interface SendResult {
  readonly accepted: PreparedMember[];
  readonly rejected: Array<{ member: PreparedMember; reason: string; detail: string }>;
  /** A removal the platform refused because the audience would be too small: these members stay. */
  readonly tooSmall: PreparedMember[];
  readonly receipts: string[];
  requests: number;
}

export type Call = (batch: MembershipBatch) => Promise<{ accepted: number; rejected: ReadonlyArray<{ index: number; reason: string }>; receipts: readonly string[] }>;

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function sendMembers(
  connector: AudienceConnector,
  call: Call,
  op: MembershipBatch['op'],
  members: readonly PreparedMember[],
  sessionId: string,
  policy: SendPolicy = defaultSendPolicy,
): Promise<SendResult> {
  const result: SendResult = { accepted: [], rejected: [], tooSmall: [], receipts: [], requests: 0 };
  const limit = connector.capabilities.maxMembersPerBatch;
  const batches: PreparedMember[][] = [];
  for (let at = 0; at < members.length; at += limit) batches.push(members.slice(at, at + limit));
  let seq = 0;
  const sleep = policy.sleep ?? wait;

  const attempt = async (batch: readonly PreparedMember[], last: boolean): Promise<void> => {
    if (batch.length === 0) return;
    const request: MembershipBatch = { op, members: batch, session: { id: sessionId, seq: ++seq, last } };
    for (let tries = 1; ; tries++) {
      try {
        result.requests++;
        const outcome = await call(request);
        const refused = new Map(outcome.rejected.map((row) => [row.index, row.reason]));
        batch.forEach((member, index) => {
          const reason = refused.get(index);
          if (reason === undefined) result.accepted.push(member);
          else result.rejected.push({ member, reason: 'platform_rejected_row', detail: reason });
        });
        result.receipts.push(...outcome.receipts);
        return;
      } catch (error) {
        if (!(error instanceof ActivationError)) throw error;
        if (error.retryable) {
          const delay = error.retryAfterMs ?? policy.baseBackoffMs * 2 ** (tries - 1);
          if (tries >= policy.attempts || delay > policy.maxWaitMs) throw error;
          await sleep(delay);
          continue;
        }
        if (error.code === 'ACCORD_ERR_AUDIENCE_TOO_SMALL') {
          result.tooSmall.push(...batch);
          return;
        }
        if (error.code === 'ACCORD_ERR_PLATFORM_ROWS_REJECTED' && error.rows.length > 0) {
          const named = new Map(error.rows.map((row) => [row.index, row.reason]));
          const rest = batch.filter((member, index) => {
            const reason = named.get(index);
            if (reason !== undefined) result.rejected.push({ member, reason: 'platform_rejected_row', detail: reason });
            return reason === undefined;
          });
          if (rest.length === batch.length) throw error;
          await attempt(rest, last);
          return;
        }
        // Only where a bad row fails the whole call: elsewhere a refusal is about the request, not a row.
        const rowRefusal = (error.code === 'ACCORD_ERR_PLATFORM_REFUSED' && connector.capabilities.badRows === 'batch') || error.code === 'ACCORD_ERR_PLATFORM_ROWS_REJECTED';
        if (!rowRefusal) throw error;
        if (batch.length > 1) {
          const half = Math.ceil(batch.length / 2);
          await attempt(batch.slice(0, half), false);
          await attempt(batch.slice(half), last);
          return;
        }
        result.rejected.push({ member: batch[0]!, reason: 'platform_refused', detail: error.message });
        return;
      }
    }
  };

  for (let i = 0; i < batches.length; i++) await attempt(batches[i]!, i === batches.length - 1);
  return result;
}

/** The call for an existing audience. */
export const uploadTo = (connector: AudienceConnector, ctx: PlatformContext, audience: AudienceRef): Call => (batch) => connector.upload(ctx, audience, batch);

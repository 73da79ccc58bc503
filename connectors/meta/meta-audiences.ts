/**
 * Meta Custom Audiences from a customer file (reference §1.3): create under the ad account, then
 * POST (add) or DELETE (remove) `{payload:{schema, data}, session}` on /{audience}/users, at most
 * 10,000 rows a call. Meta keeps valid rows and reports invalid ones as samples, which are mapped
 * back to row positions. The session's progress is the receipt.
 */
import type { AudienceConnector, AudienceRef, MembershipBatch, UploadOutcome } from '../../core/activation/audience-connector.ts';
import { ActivationError, type RejectedRow } from '../../core/activation/activation-errors.ts';
import type { PlatformContext } from '../../core/activation/platform-context.ts';
import type { PlatformClient } from '../common/platform-client.ts';
import { metaAssumptions, type MetaAssumptions } from './meta-assumptions.ts';
import { metaClient } from './meta-client.ts';
import { metaIdentifiers } from './meta-identifiers.ts';
import { metaSessionId } from './meta-session-id.ts';

interface UsersAnswer {
  session_id?: string | number;
  num_received?: number;
  num_invalid_entries?: number;
  /** ❓ shape: invalid value → reason. */
  invalid_entry_samples?: Record<string, string>;
}

function rowsOf(audience: AudienceRef, batch: MembershipBatch): string[][] {
  return batch.members.map((member) => audience.idTypes.map((type) => member.ids.find((id) => id.type === type)?.value ?? ''));
}

function rejectedRows(rows: string[][], samples: Record<string, string> | undefined): RejectedRow[] {
  if (!samples) return [];
  return rows.flatMap((row, index) => {
    const bad = row.find((value) => value !== '' && Object.hasOwn(samples, value));
    return bad === undefined ? [] : [{ index, reason: samples[bad]! }];
  });
}

export function metaAudiences(overrides: Partial<MetaAssumptions> = {}): AudienceConnector {
  const assumptions = { ...metaAssumptions, ...overrides };
  const client: PlatformClient = metaClient(assumptions);
  const path = (ctx: PlatformContext, rest: string) => client.url(ctx, 'graph', `/${assumptions.apiVersion}/${rest}`);

  async function upload(ctx: PlatformContext, audience: AudienceRef, batch: MembershipBatch): Promise<UploadOutcome> {
    if (batch.op === 'replace') throw new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', 'meta: this connector adds and removes; it does not replace', { platform: 'meta' });
    const rows = rowsOf(audience, batch);
    const session = { session_id: metaSessionId(batch.session.id), batch_seq: batch.session.seq, last_batch_flag: batch.session.last };
    const response = await client.call(ctx, {
      method: batch.op === 'add' ? 'POST' : 'DELETE',
      url: path(ctx, `${audience.id}/users`),
      json: { payload: { schema: audience.idTypes, data: rows }, session },
    });
    const answer = response.body as UsersAnswer;
    const rejected = rejectedRows(rows, answer.invalid_entry_samples);
    return { accepted: (answer.num_received ?? rows.length) - (answer.num_invalid_entries ?? rejected.length), rejected, receipts: [String(answer.session_id ?? session.session_id)] };
  }

  return {
    platform: 'meta',
    destination: 'meta',
    identifiers: metaIdentifiers,
    capabilities: {
      transport: 'rows',
      removal: 'rows',
      maxMembersPerBatch: 10_000,
      idTypesPerAudience: 'many',
      createNeedsMembers: false,
      badRows: 'per_row',
      minimumSize: assumptions.minimumSize,
      tokenRefresh: false,
    },

    async createAudience(ctx, spec, first) {
      const response = await client.call(ctx, {
        method: 'POST',
        url: path(ctx, `act_${ctx.accountId}/customaudiences`),
        json: { name: spec.name, subtype: 'CUSTOM', customer_file_source: 'USER_PROVIDED_ONLY', description: `accord:${spec.reference}` },
      });
      const audience = { id: String((response.body as { id: unknown }).id), name: spec.name, idTypes: spec.idTypes };
      return { audience, outcome: first ? await upload(ctx, audience, first) : undefined };
    },

    upload,

    async status(ctx, audience, receipt) {
      const response = await client.call(ctx, { method: 'GET', url: path(ctx, `${audience.id}/sessions`), query: { session_id: receipt } });
      const session = (response.body as { data?: Array<{ stage?: string; num_received?: number; num_matched?: number; num_invalid_entries?: number }> }).data?.[0];
      if (!session) throw new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', `meta: no session ${receipt} on audience ${audience.id}`, { platform: 'meta' });
      const { done, failed } = assumptions.sessionStages;
      const state = session.stage === done ? 'succeeded' : session.stage === failed ? 'failed' : 'processing';
      const received = session.num_received;
      const matched = session.num_matched !== undefined && session.num_matched >= 0 ? session.num_matched : undefined;
      return { state, received, valid: received === undefined ? undefined : received - (session.num_invalid_entries ?? 0), matched };
    },
  };
}

/**
 * TikTok Audience Segment API (reference §1.4 (a), 🟡): segment/audience creates an audience of one
 * id type; segment/mapping adds or deletes users, one inner list per user aligned to id_schema.
 * Answers are synchronous (no status to poll); a bad row fails the whole call without naming it.
 */
import type { AudienceConnector, AudienceRef, MembershipBatch, UploadOutcome } from '../../core/activation/audience-connector.ts';
import { ActivationError } from '../../core/activation/activation-errors.ts';
import type { PlatformContext } from '../../core/activation/platform-context.ts';
import { fitName } from '../common/audience-name.ts';
import { tiktokAssumptions, type TikTokAssumptions } from './tiktok-assumptions.ts';
import { tiktokClient } from './tiktok-client.ts';
import { tiktokIdentifiers } from './tiktok-identifiers.ts';
import { tiktokSingleType } from './tiktok-single-type.ts';

export function tiktokSegmentAudiences(overrides: Partial<TikTokAssumptions> = {}): AudienceConnector {
  const assumptions = { ...tiktokAssumptions, ...overrides };
  const client = tiktokClient(assumptions);
  const url = (ctx: PlatformContext, path: string) => client.url(ctx, 'api', `/open_api/v1.3/segment/${path}`);

  async function upload(ctx: PlatformContext, audience: AudienceRef, batch: MembershipBatch): Promise<UploadOutcome> {
    if (batch.op === 'replace') throw new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', 'tiktok: segments add and delete users; there is no replace', { platform: 'tiktok' });
    const type = tiktokSingleType(audience.idTypes);
    await client.call(ctx, {
      method: 'POST',
      url: url(ctx, 'mapping/'),
      json: {
        advertiser_ids: [ctx.accountId],
        action: batch.op === 'add' ? 'add' : 'delete',
        id_schema: [type],
        batch_data: batch.members.map((member) => [{ id: member.ids.find((id) => id.type === type)?.value ?? '', audience_ids: [audience.id] }]),
      },
    });
    return { accepted: batch.members.length, rejected: [], receipts: [] };
  }

  return {
    platform: 'tiktok',
    destination: 'tiktok',
    identifiers: tiktokIdentifiers,
    capabilities: {
      transport: 'rows',
      removal: 'rows',
      maxMembersPerBatch: assumptions.segmentBatchLimit,
      idTypesPerAudience: 'one',
      createNeedsMembers: false,
      badRows: 'batch',
      tokenRefresh: false,
    },

    async createAudience(ctx, spec, first) {
      const response = await client.call(ctx, {
        method: 'POST',
        url: url(ctx, 'audience/'),
        json: { advertiser_id: ctx.accountId, custom_audience_name: fitName(spec.name, { chars: 128 }), id_type: tiktokSingleType(spec.idTypes), action: 'create' },
      });
      const audience = { id: String((response.body as { data: { audience_id: unknown } }).data.audience_id), name: spec.name, idTypes: spec.idTypes };
      return { audience, outcome: first ? await upload(ctx, audience, first) : undefined };
    },

    upload,
  };
}

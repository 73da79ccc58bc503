/**
 * The Trade Desk CRM Data API (reference §1.5, 🟡): a CRM segment is created once; each change is
 * a drop that replaces its members (MergeMode Replace): ask for a drop URL with the PiiType, then
 * PUT the values there as text, one per line. So membership changes only by replacement, and a
 * drop below the platform's minimum record count is refused. TTD does not report processing or
 * match rates (❓), so there is no status.
 */
import type { AudienceConnector, AudienceRef, MembershipBatch, UploadOutcome } from '../../core/activation/audience-connector.ts';
import { ActivationError } from '../../core/activation/activation-errors.ts';
import type { PlatformContext } from '../../core/activation/platform-context.ts';
import { ttdAssumptions, type TtdAssumptions } from './ttd-assumptions.ts';
import { ttdClient } from './ttd-client.ts';
import { ttdIdentifiers } from './ttd-identifiers.ts';

export function ttdAudiences(overrides: Partial<TtdAssumptions> = {}): AudienceConnector {
  const assumptions = { ...ttdAssumptions, ...overrides };
  const client = ttdClient();

  async function upload(ctx: PlatformContext, audience: AudienceRef, batch: MembershipBatch): Promise<UploadOutcome> {
    if (batch.op !== 'replace') throw new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', 'ttd: CRM segments change only by replacing every member (MergeMode Replace)', { platform: 'ttd' });
    const type = audience.idTypes.length === 1 ? audience.idTypes[0]! : undefined;
    if (!type) throw new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', 'ttd: a CRM segment drop holds one PiiType', { platform: 'ttd' });
    const lines = batch.members.flatMap((member) => member.ids.filter((id) => id.type === type).map((id) => id.value));
    // A replacement carries the whole audience, so its size is known here: too small is refused before anything is sent.
    if (lines.length < assumptions.minimumRecords) throw new ActivationError('ACCORD_ERR_AUDIENCE_TOO_SMALL', `ttd: a drop needs at least ${assumptions.minimumRecords} records; this has ${lines.length}`, { platform: 'ttd' });
    const drop = await client.call(ctx, {
      method: 'POST',
      url: client.url(ctx, 'api', `/v3/crmdata/segment/${ctx.accountId}/${audience.id}`),
      json: { PiiType: type, MergeMode: 'Replace', RetentionEnabled: true },
    });
    const { Url } = drop.body as { Url: string };
    await client.send(ctx, { method: 'PUT', url: Url, headers: { 'content-type': 'text/plain' }, body: lines.join('\n') });
    return { accepted: batch.members.length, rejected: [], receipts: [] };
  }

  return {
    platform: 'ttd',
    destination: 'ttd',
    identifiers: ttdIdentifiers(assumptions),
    capabilities: {
      transport: 'file',
      removal: 'replace',
      maxMembersPerBatch: 10_000_000,
      idTypesPerAudience: 'one',
      createNeedsMembers: false,
      badRows: 'batch',
      minimumSize: assumptions.minimumRecords,
      tokenRefresh: false,
    },

    async createAudience(ctx, spec, first) {
      const response = await client.call(ctx, {
        method: 'POST',
        url: client.url(ctx, 'api', '/v3/crmdata/segment'),
        json: { [assumptions.createFields.advertiser]: ctx.accountId, [assumptions.createFields.name]: spec.name },
      });
      const audience = { id: String((response.body as { CrmDataId: unknown }).CrmDataId), name: spec.name, idTypes: spec.idTypes };
      return { audience, outcome: first ? await upload(ctx, audience, first) : undefined };
    },

    upload,
  };
}

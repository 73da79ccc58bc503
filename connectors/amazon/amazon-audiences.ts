/**
 * Amazon Ads AMC audiences (reference §1.6, 🟡 from Segment's connector): audiences/metadata creates
 * an audience for one advertiser and country; audiences/records adds (CREATE) or removes (DELETE)
 * up to 10,000 records, each with an external user id, hashed PII and consent (sent as granted:
 * members reach a connector only through the consent gate; non-US records require it). Amazon's
 * audienceId and advertiserId exceed 2^53 and are sent as exact bare JSON numbers. Processing is
 * a job with no documented status call (❓), so there is no status.
 */
import type { AudienceConnector, AudienceRef, MembershipBatch, UploadOutcome } from '../../core/activation/audience-connector.ts';
import { ActivationError } from '../../core/activation/activation-errors.ts';
import type { PlatformContext } from '../../core/activation/platform-context.ts';
import { sha256Hex } from '../../core/identifiers/identifier-hashes.ts';
import { amazonClient } from './amazon-client.ts';
import { amazonIdentifiers } from './amazon-identifiers.ts';

const CONSENT = { amznAdStorage: 'GRANTED', amznUserData: 'GRANTED' } as const;

export function amazonAudiences(): AudienceConnector {
  const client = amazonClient();

  async function upload(ctx: PlatformContext, audience: AudienceRef, batch: MembershipBatch): Promise<UploadOutcome> {
    if (batch.op === 'replace') throw new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', 'amazon: records are created and deleted; there is no replace', { platform: 'amazon' });
    const countryCode = audience.extra?.country ?? '';
    const records = batch.members.map((member) => ({
      // The node's member key stays in the node: Amazon gets a stable hash of it (hex fits [0-9a-zA-Z-_]{1,128}).
      externalUserId: sha256Hex(member.key),
      countryCode,
      action: batch.op === 'add' ? 'CREATE' : 'DELETE',
      hashedPII: [Object.fromEntries(member.ids.map((id) => [id.type, id.value]))],
      userConsent: { geo: { countryCode }, amzn: CONSENT },
    }));
    await client.call(ctx, { method: 'POST', url: client.url(ctx, 'api', '/amc/audiences/records'), json: { audienceId: BigInt(audience.id), records } });
    return { accepted: records.length, rejected: [], receipts: [] };
  }

  return {
    platform: 'amazon',
    destination: 'amazon',
    identifiers: amazonIdentifiers,
    capabilities: {
      transport: 'rows',
      removal: 'rows',
      maxMembersPerBatch: 10_000,
      idTypesPerAudience: 'many',
      createNeedsMembers: false,
      badRows: 'batch',
      tokenRefresh: true,
    },

    async createAudience(ctx, spec, first) {
      if (!spec.country) throw new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', 'amazon: an audience is filed under a country: give spec.country', { platform: 'amazon' });
      const response = await client.call(ctx, {
        method: 'POST',
        url: client.url(ctx, 'api', '/amc/audiences/metadata'),
        json: { name: spec.name, description: 'Accord', countryCode: spec.country, targetResource: { advertiserId: BigInt(ctx.accountId) }, metadata: { externalAudienceId: spec.reference } },
      });
      const audience = { id: String((response.body as { audienceId: unknown }).audienceId), name: spec.name, idTypes: spec.idTypes, extra: { country: spec.country } };
      return { audience, outcome: first ? await upload(ctx, audience, first) : undefined };
    },

    upload,
  };
}

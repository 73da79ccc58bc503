/**
 * Google Customer Match through the Data Manager API (reference §1.1; the Google Ads API route is
 * closed to new adopters since 2026-04). Members go to audienceMembers:ingest and :remove, at most
 * 10,000 a call with at most 10 identifiers each, and requestStatus:retrieve tells when Google has
 * processed them, with a match-rate range. Data Manager has no call to create a list, so the user
 * list is created with the Google Ads API UserListService (❓: not in the reference).
 * Consent is sent as granted for the request: members reach a connector only through the consent gate.
 */
import type { AudienceConnector, AudienceRef, MembershipBatch, UploadOutcome } from '../../core/activation/audience-connector.ts';
import { ActivationError } from '../../core/activation/activation-errors.ts';
import type { PlatformContext } from '../../core/activation/platform-context.ts';
import { googleAssumptions, type GoogleAssumptions } from './google-assumptions.ts';
import { googleClient } from './google-client.ts';
import { googleIdentifiers } from './google-identifiers.ts';
import { googleMatchRate } from './google-match-rate.ts';

interface DestinationStatus {
  requestStatus?: string;
  audienceMembersIngestionStatus?: { userDataIngestionStatus?: { recordCount?: string | number; uploadMatchRateRange?: string } };
  audienceMembersRemovalStatus?: { userDataRemovalStatus?: { recordCount?: string | number } };
  errorInfo?: { errorCounts?: Array<{ reason?: string; recordCount?: string | number }> };
}

export function googleAudiences(options: { developerToken: string; assumptions?: Partial<GoogleAssumptions> }): AudienceConnector {
  const assumptions = { ...googleAssumptions, ...options.assumptions };
  const client = googleClient(options.developerToken);

  async function upload(ctx: PlatformContext, audience: AudienceRef, batch: MembershipBatch): Promise<UploadOutcome> {
    if (batch.op === 'replace') throw new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', 'google: Data Manager adds and removes members; it does not replace', { platform: 'google' });
    const audienceMembers = batch.members.map((member) => ({ userData: { userIdentifiers: member.ids.map((id) => ({ [id.type]: id.value })) } }));
    const response = await client.call(ctx, {
      method: 'POST',
      url: client.url(ctx, 'datamanager', batch.op === 'add' ? '/v1/audienceMembers:ingest' : '/v1/audienceMembers:remove'),
      json: {
        destinations: [{ operatingAccount: { accountType: 'GOOGLE_ADS', accountId: ctx.accountId }, productDestinationId: audience.id }],
        audienceMembers,
        ...(batch.op === 'add' ? { consent: { adUserData: 'CONSENT_GRANTED', adPersonalization: 'CONSENT_GRANTED' } } : {}),
        encoding: 'HEX',
      },
    });
    return { accepted: audienceMembers.length, rejected: [], receipts: [String((response.body as { requestId: unknown }).requestId)] };
  }

  return {
    platform: 'google',
    destination: 'google',
    identifiers: googleIdentifiers(assumptions.gmailPlusSuffix),
    capabilities: {
      transport: 'rows',
      removal: 'rows',
      maxMembersPerBatch: 10_000,
      maxIdsPerMember: 10,
      idTypesPerAudience: 'many',
      createNeedsMembers: false,
      badRows: 'batch_named',
      tokenRefresh: true,
    },

    async createAudience(ctx, spec, first) {
      const response = await client.call(ctx, {
        method: 'POST',
        url: client.url(ctx, 'ads', `/${assumptions.adsApiVersion}/customers/${ctx.accountId}/userLists:mutate`),
        json: { operations: [{ create: { name: spec.name, description: `accord:${spec.reference}`, membershipLifeSpan: 10000, crmBasedUserList: { uploadKeyType: 'CONTACT_INFO', dataSourceType: 'FIRST_PARTY' } } }] },
      });
      const resourceName = String((response.body as { results?: Array<{ resourceName?: string }> }).results?.[0]?.resourceName ?? '');
      const audience = { id: resourceName.slice(resourceName.lastIndexOf('/') + 1), name: spec.name, idTypes: spec.idTypes };
      return { audience, outcome: first ? await upload(ctx, audience, first) : undefined };
    },

    upload,

    async status(ctx, _audience, receipt) {
      const response = await client.call(ctx, { method: 'GET', url: client.url(ctx, 'datamanager', '/v1/requestStatus:retrieve'), query: { requestId: receipt } });
      const status = (response.body as { requestStatusPerDestination?: DestinationStatus[] }).requestStatusPerDestination?.[0] ?? {};
      const names = assumptions.requestStatus;
      const state = status.requestStatus === names.success || status.requestStatus === names.partial ? 'succeeded' : status.requestStatus === names.failed ? 'failed' : 'processing';
      const ingestion = status.audienceMembersIngestionStatus?.userDataIngestionStatus;
      const received = Number(ingestion?.recordCount ?? status.audienceMembersRemovalStatus?.userDataRemovalStatus?.recordCount ?? Number.NaN);
      const invalid = (status.errorInfo?.errorCounts ?? []).reduce((sum, count) => sum + Number(count.recordCount ?? 0), 0);
      return {
        state,
        received: Number.isNaN(received) ? undefined : received,
        valid: Number.isNaN(received) ? undefined : received - invalid,
        matchRate: state === 'succeeded' ? googleMatchRate(ingestion?.uploadMatchRateRange) : undefined,
        detail: status.requestStatus,
      };
    },
  };
}

/**
 * TikTok customer-file audiences (DMP, reference §1.4 (b), official SDK): a text file of one id
 * per line is uploaded with its MD5 as file_signature and its calculate_type, then referenced to
 * create the audience or to APPEND / REMOVE. TikTok refuses a change that would leave fewer than
 * 1,000 people. The audience's calculation is read with custom_audience/get (is_valid, cover_num;
 * that answer's shape is ❓).
 */
import { createHash } from 'node:crypto';
import type { AudienceConnector, AudienceRef, MembershipBatch, UploadOutcome } from '../../core/activation/audience-connector.ts';
import { ActivationError } from '../../core/activation/activation-errors.ts';
import type { PlatformContext } from '../../core/activation/platform-context.ts';
import { fitName } from '../common/audience-name.ts';
import { tiktokAssumptions, type TikTokAssumptions } from './tiktok-assumptions.ts';
import { tiktokClient } from './tiktok-client.ts';
import { tiktokIdentifiers } from './tiktok-identifiers.ts';
import { tiktokSingleType } from './tiktok-single-type.ts';

const RETENTION_DAYS = 365;

export function tiktokFileAudiences(options: { minimumSize?: number; assumptions?: Partial<TikTokAssumptions> } = {}): AudienceConnector {
  const assumptions = { ...tiktokAssumptions, ...options.assumptions };
  const client = tiktokClient(assumptions);
  const url = (ctx: PlatformContext, path: string) => client.url(ctx, 'api', `/open_api/v1.3/dmp/custom_audience/${path}`);

  async function uploadFile(ctx: PlatformContext, type: string, batch: MembershipBatch): Promise<string> {
    const text = batch.members.map((member) => member.ids.find((id) => id.type === type)?.value ?? '').join('\n');
    const name = `${batch.session.id}-${batch.session.seq}.txt`;
    const form = new FormData();
    form.set('advertiser_id', ctx.accountId);
    form.set('calculate_type', type);
    form.set('file_name', name);
    form.set('file_signature', createHash('md5').update(text).digest('hex'));
    form.set('file', new Blob([text], { type: 'text/plain' }), name);
    const response = await client.call(ctx, { method: 'POST', url: url(ctx, 'file/upload/'), body: form });
    return String((response.body as { data: { file_path: unknown } }).data.file_path);
  }

  async function upload(ctx: PlatformContext, audience: AudienceRef, batch: MembershipBatch): Promise<UploadOutcome> {
    const filePath = await uploadFile(ctx, tiktokSingleType(audience.idTypes), batch);
    const action = batch.op === 'add' ? 'APPEND' : batch.op === 'remove' ? 'REMOVE' : 'REPLACE';
    await client.call(ctx, { method: 'POST', url: url(ctx, 'update/'), json: { advertiser_id: ctx.accountId, custom_audience_id: audience.id, file_paths: [filePath], action } });
    return { accepted: batch.members.length, rejected: [], receipts: [audience.id] };
  }

  return {
    platform: 'tiktok',
    destination: 'tiktok_file',
    identifiers: tiktokIdentifiers,
    capabilities: {
      transport: 'file',
      removal: 'file',
      maxMembersPerBatch: 1_000_000,
      idTypesPerAudience: 'one',
      createNeedsMembers: true,
      badRows: 'batch',
      minimumSize: options.minimumSize ?? 1000,
      tokenRefresh: false,
    },

    async createAudience(ctx, spec, first) {
      if (!first || first.op !== 'add') throw new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', 'tiktok: a customer-file audience is created from its first file: pass the first members as an add batch', { platform: 'tiktok' });
      const type = tiktokSingleType(spec.idTypes);
      const filePath = await uploadFile(ctx, type, first);
      const response = await client.call(ctx, {
        method: 'POST',
        url: url(ctx, 'create/'),
        json: { advertiser_id: ctx.accountId, custom_audience_name: fitName(spec.name, { chars: 128 }), calculate_type: type, file_paths: [filePath], retention_in_days: RETENTION_DAYS },
      });
      const id = String((response.body as { data: { custom_audience_id: unknown } }).data.custom_audience_id);
      return { audience: { id, name: spec.name, idTypes: spec.idTypes }, outcome: { accepted: first.members.length, rejected: [], receipts: [id] } };
    },

    upload,

    async status(ctx, audience) {
      const response = await client.call(ctx, { method: 'GET', url: url(ctx, 'get/'), query: { advertiser_id: ctx.accountId, custom_audience_ids: JSON.stringify([audience.id]) } });
      const details = (response.body as { data?: { list?: Array<{ audience_details?: { is_valid?: boolean; cover_num?: number } }> } }).data?.list?.[0]?.audience_details;
      if (!details) throw new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', `tiktok: no audience ${audience.id}`, { platform: 'tiktok' });
      return details.is_valid ? { state: 'succeeded', matched: details.cover_num } : { state: 'processing' };
    },
  };
}

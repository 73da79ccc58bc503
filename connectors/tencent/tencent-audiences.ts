/**
 * Tencent customer-file audiences (reference §1.7): custom_audiences/add creates a CUSTOMER_FILE
 * audience (outer_audience_id makes it idempotent), then every batch goes up as one zipped text
 * file per id type to custom_audience_files/add, APPEND to add and REDUCE to remove. Tencent
 * processes files later; custom_audience_files/get gives line, valid-line and user counts.
 * Ids are integers on the wire and may exceed 2^53, so they travel as exact bare numbers.
 */
import type { AudienceConnector, AudienceRef, MembershipBatch, UploadOutcome } from '../../core/activation/audience-connector.ts';
import { ActivationError } from '../../core/activation/activation-errors.ts';
import type { PlatformContext } from '../../core/activation/platform-context.ts';
import { fitName } from '../common/audience-name.ts';
import { zipText } from '../common/zip-text.ts';
import { tencentAssumptions, type TencentAssumptions } from './tencent-assumptions.ts';
import { tencentClient } from './tencent-client.ts';
import { tencentIdentifiers } from './tencent-identifiers.ts';

interface FileStatus {
  process_status?: string;
  error_message?: string;
  line_count?: number;
  valid_line_count?: number;
  user_count?: number;
}

export function tencentAudiences(options: { assumptions?: Partial<TencentAssumptions>; now?: () => number } = {}): AudienceConnector {
  const assumptions = { ...tencentAssumptions, ...options.assumptions };
  const client = tencentClient(assumptions, options.now);
  const url = (ctx: PlatformContext, path: string) => client.url(ctx, 'api', `/v3.0/${path}`);

  async function upload(ctx: PlatformContext, audience: AudienceRef, batch: MembershipBatch): Promise<UploadOutcome> {
    if (batch.op === 'replace') throw new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', 'tencent: audiences change by APPEND and REDUCE files; there is no replace', { platform: 'tencent' });
    const receipts: string[] = [];
    for (const type of audience.idTypes) {
      const lines = batch.members.flatMap((member) => member.ids.filter((id) => id.type === type).map((id) => id.value));
      if (lines.length === 0) continue;
      const form = new FormData();
      form.set('account_id', ctx.accountId);
      form.set('audience_id', audience.id);
      form.set('user_id_type', type);
      form.set('operation_type', batch.op === 'add' ? 'APPEND' : 'REDUCE');
      form.set('file', new Blob([zipText(`${type}.txt`, lines)], { type: 'application/zip' }), `${batch.session.id}-${batch.session.seq}-${type}.zip`);
      const response = await client.call(ctx, { method: 'POST', url: url(ctx, 'custom_audience_files/add'), body: form });
      receipts.push(String((response.body as { data: { custom_audience_file_id: unknown } }).data.custom_audience_file_id));
    }
    return { accepted: batch.members.length, rejected: [], receipts };
  }

  return {
    platform: 'tencent',
    destination: 'tencent',
    identifiers: tencentIdentifiers,
    capabilities: {
      transport: 'file',
      removal: 'file',
      maxMembersPerBatch: 1_000_000,
      maxFileBytes: 100 * 1024 * 1024,
      idTypesPerAudience: 'many',
      createNeedsMembers: false,
      badRows: 'count',
      tokenRefresh: true,
    },

    async createAudience(ctx, spec, first) {
      const response = await client.call(ctx, {
        method: 'POST',
        url: url(ctx, 'custom_audiences/add'),
        json: { account_id: BigInt(ctx.accountId), name: fitName(spec.name, { utf8Bytes: 32 }), type: 'CUSTOMER_FILE', outer_audience_id: spec.reference, description: 'Accord' },
      });
      const audience = { id: String((response.body as { data: { audience_id: unknown } }).data.audience_id), name: spec.name, idTypes: spec.idTypes };
      return { audience, outcome: first ? await upload(ctx, audience, first) : undefined };
    },

    upload,

    async status(ctx, audience, receipt) {
      const response = await client.call(ctx, {
        method: 'GET',
        url: url(ctx, 'custom_audience_files/get'),
        query: { account_id: ctx.accountId, audience_id: audience.id, custom_audience_file_id: receipt, page: 1, page_size: 10 },
      });
      const file = (response.body as { data?: { list?: FileStatus[] } }).data?.list?.[0];
      if (!file) throw new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', `tencent: no file ${receipt} in audience ${audience.id}`, { platform: 'tencent' });
      const { done, failed } = assumptions.processStatus;
      const state = file.process_status === done ? 'succeeded' : file.process_status === failed ? 'failed' : 'processing';
      const finished = state !== 'processing';
      return { state, received: file.line_count, valid: finished ? file.valid_line_count : undefined, matched: finished ? file.user_count : undefined, detail: file.error_message || file.process_status };
    },
  };
}

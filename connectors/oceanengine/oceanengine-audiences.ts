/**
 * Ocean Engine DMP data sources (reference §1.8): each batch becomes a zip of base64 DmpData
 * lines, uploaded with its MD5 signature for a file_path; the first file creates the data source
 * (data_source/create), later ones update it (operation_type 1 add, 2 delete). Parsing takes
 * 20-60 minutes and is read with data_source/read (status 0 created, 1 parsing, 2 done, with
 * upload_num and cover_num); finalize publishes the data source's audience and pushes it to the
 * advertiser, after which it can be targeted. Ids are uint64: exact bare numbers on the wire.
 */
import { createHash } from 'node:crypto';
import type { AudienceConnector, AudienceRef, MembershipBatch, UploadOutcome } from '../../core/activation/audience-connector.ts';
import { ActivationError } from '../../core/activation/activation-errors.ts';
import type { PlatformContext } from '../../core/activation/platform-context.ts';
import { fitName } from '../common/audience-name.ts';
import { zipText } from '../common/zip-text.ts';
import { oceanEngineAssumptions, type OceanEngineAssumptions } from './oceanengine-assumptions.ts';
import { oceanEngineClient } from './oceanengine-client.ts';
import { DATA_TYPES, encodeDmpLine } from './oceanengine-dmp-data.ts';
import { oceanEngineIdentifiers } from './oceanengine-identifiers.ts';

interface DataSource {
  status?: number;
  upload_num?: number;
  cover_num?: number;
  change_logs?: Array<{ status?: number }>;
  default_audience?: { custom_audience_id?: string | number };
}

const FILE_FORMAT = { data_format: 0, file_storage_type: 0 } as const;

export function oceanEngineAudiences(overrides: Partial<OceanEngineAssumptions> = {}): AudienceConnector {
  const assumptions = { ...oceanEngineAssumptions, ...overrides };
  const client = oceanEngineClient(assumptions);
  const url = (ctx: PlatformContext, path: string) => client.url(ctx, 'api', `/open_api/2/dmp/${path}`);
  const advertiser = (ctx: PlatformContext) => BigInt(ctx.accountId);

  async function uploadFile(ctx: PlatformContext, batch: MembershipBatch): Promise<string> {
    const lines = batch.members.map((member) => encodeDmpLine(member.ids.map((id) => ({ dataType: DATA_TYPES[id.type as keyof typeof DATA_TYPES], id: id.value }))));
    const zip = zipText('dmp.txt', lines);
    const form = new FormData();
    form.set('advertiser_id', ctx.accountId);
    form.set('file_signature', createHash('md5').update(zip).digest('hex'));
    form.set('file', new Blob([zip], { type: 'application/zip' }), `${batch.session.id}-${batch.session.seq}.zip`);
    const response = await client.call(ctx, { method: 'POST', url: url(ctx, 'data_source/file/upload/'), body: form });
    return String((response.body as { data: { file_path: unknown } }).data.file_path);
  }

  async function readDataSource(ctx: PlatformContext, id: string): Promise<DataSource> {
    const response = await client.call(ctx, { method: 'GET', url: url(ctx, 'data_source/read/'), query: { advertiser_id: ctx.accountId, data_source_id_list: JSON.stringify([id]) } });
    const source = (response.body as { data?: { data_list?: DataSource[] } }).data?.data_list?.[0];
    if (!source) throw new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', `oceanengine: no data source ${id}`, { platform: 'oceanengine' });
    return source;
  }

  async function upload(ctx: PlatformContext, audience: AudienceRef, batch: MembershipBatch): Promise<UploadOutcome> {
    if (batch.op === 'replace') throw new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', 'oceanengine: this connector adds and removes; reset (operation_type 3) is not used', { platform: 'oceanengine' });
    const filePath = await uploadFile(ctx, batch);
    await client.call(ctx, {
      method: 'POST',
      url: url(ctx, 'data_source/update/'),
      json: { advertiser_id: advertiser(ctx), data_source_id: BigInt(audience.id), operation_type: batch.op === 'add' ? 1 : 2, ...FILE_FORMAT, file_paths: [filePath] },
    });
    return { accepted: batch.members.length, rejected: [], receipts: [audience.id] };
  }

  return {
    platform: 'oceanengine',
    destination: 'oceanengine',
    identifiers: oceanEngineIdentifiers(assumptions.idfaBeforeMd5),
    capabilities: {
      transport: 'file',
      removal: 'file',
      maxMembersPerBatch: 1_000_000,
      idTypesPerAudience: 'many',
      createNeedsMembers: true,
      badRows: 'batch',
      tokenRefresh: true,
    },

    async createAudience(ctx, spec, first) {
      if (!first || first.op !== 'add') throw new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', 'oceanengine: a data source is created from its first file: pass the first members as an add batch', { platform: 'oceanengine' });
      const filePath = await uploadFile(ctx, first);
      const response = await client.call(ctx, {
        method: 'POST',
        url: url(ctx, 'data_source/create/'),
        json: { advertiser_id: advertiser(ctx), data_source_name: fitName(spec.name, { chars: 30 }), description: `Accord ${spec.reference}`.slice(0, 256), ...FILE_FORMAT, file_paths: [filePath], data_source_type: 'UID' },
      });
      const id = String((response.body as { data: { data_source_id: unknown } }).data.data_source_id);
      return { audience: { id, name: spec.name, idTypes: spec.idTypes }, outcome: { accepted: first.members.length, rejected: [], receipts: [id] } };
    },

    upload,

    async status(ctx, audience) {
      const source = await readDataSource(ctx, audience.id);
      const latest = source.change_logs?.at(-1);
      if (latest?.status === 3) return { state: 'failed', detail: 'the latest change failed' };
      if (source.status !== 2 || (latest !== undefined && latest.status !== 2)) return { state: 'processing', detail: `data source status ${source.status}` };
      return { state: 'succeeded', received: source.upload_num, matched: source.cover_num };
    },

    async finalize(ctx, audience) {
      const custom = (await readDataSource(ctx, audience.id)).default_audience?.custom_audience_id;
      if (custom === undefined) throw new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', `oceanengine: data source ${audience.id} has no audience yet; wait for parsing to finish`, { platform: 'oceanengine' });
      const body = { advertiser_id: advertiser(ctx), custom_audience_id: BigInt(String(custom)) };
      await client.call(ctx, { method: 'POST', url: url(ctx, 'custom_audience/publish/'), json: body });
      await client.call(ctx, { method: 'POST', url: url(ctx, 'custom_audience/push_v2/'), json: { ...body, target_advertiser_ids: [advertiser(ctx)] } });
    },
  };
}

/**
 * Kuaishou DMP populations (人群包, reference §1.9): a text file of one id per line goes up first
 * (population/file/upload → file_path); population/upload creates the population from it, and
 * population/update appends (operation_type 1) or deletes (3) with later files. A population holds
 * one id type. Kuaishou computes it later: status 0 computing, 1 effective, 3/4 going online and
 * online, 5/6 failed; a file it could not use is listed in failed_file_paths. Receipts name the
 * population and the file, so each upload's fate can be read.
 */
import type { AudienceConnector, AudienceRef, MembershipBatch, ProcessingStatus, UploadOutcome } from '../../core/activation/audience-connector.ts';
import { ActivationError } from '../../core/activation/activation-errors.ts';
import type { PlatformContext } from '../../core/activation/platform-context.ts';
import { fitName } from '../common/audience-name.ts';
import { kuaishouAssumptions, type KuaishouAssumptions } from './kuaishou-assumptions.ts';
import { kuaishouClient } from './kuaishou-client.ts';
import { KUAISHOU_TYPE_CODES, kuaishouIdentifiers } from './kuaishou-identifiers.ts';

interface Population {
  orientation_id?: string | number;
  status?: number;
  record_size?: number;
  failed_file_paths?: string[];
}

const PAGE_SIZE = 200;

function stateOf(population: Population, filePath: string): ProcessingStatus {
  if (population.failed_file_paths?.includes(filePath)) return { state: 'failed', detail: `file ${filePath} could not be used` };
  if (population.status === 1 || population.status === 4) return { state: 'succeeded', matched: population.record_size };
  if (population.status === 5 || population.status === 6) return { state: 'failed', detail: `population status ${population.status}` };
  return { state: 'processing', detail: `population status ${population.status}` };
}

export function kuaishouAudiences(overrides: Partial<KuaishouAssumptions> = {}): AudienceConnector {
  const assumptions = { ...kuaishouAssumptions, ...overrides };
  const client = kuaishouClient(assumptions);
  const dmp = (ctx: PlatformContext, path: string) => client.url(ctx, 'api', `/rest/openapi/gw/dmp/v2/dmp/population/${path}`);

  function typeOf(audience: { idTypes: readonly string[] }): number {
    const code = audience.idTypes.length === 1 ? KUAISHOU_TYPE_CODES[audience.idTypes[0]!] : undefined;
    if (code === undefined) throw new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', `kuaishou: a population holds exactly one id type of ${Object.keys(KUAISHOU_TYPE_CODES).join(', ')}`, { platform: 'kuaishou' });
    return code;
  }

  async function uploadFile(ctx: PlatformContext, type: number, batch: MembershipBatch): Promise<string> {
    const form = new FormData();
    form.set('advertiser_id', ctx.accountId);
    form.set('type', String(type));
    form.set('file', new Blob([batch.members.flatMap((member) => member.ids.map((id) => id.value)).join('\n')], { type: 'text/plain' }), `${batch.session.id}-${batch.session.seq}.txt`);
    const response = await client.call(ctx, { method: 'POST', url: dmp(ctx, 'file/upload'), body: form });
    return String((response.body as { data: { file_path: unknown } }).data.file_path);
  }

  async function upload(ctx: PlatformContext, audience: AudienceRef, batch: MembershipBatch): Promise<UploadOutcome> {
    if (batch.op === 'replace') throw new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', 'kuaishou: populations change by APPEND and DELETE files; there is no replace', { platform: 'kuaishou' });
    const type = typeOf(audience);
    const filePath = await uploadFile(ctx, type, batch);
    await client.call(ctx, {
      method: 'POST',
      url: dmp(ctx, 'update'),
      json: { advertiser_id: BigInt(ctx.accountId), type, orientation_id: BigInt(audience.id), operation_type: batch.op === 'add' ? 1 : 3, file_paths: [filePath] },
    });
    return { accepted: batch.members.length, rejected: [], receipts: [`${audience.id}:${filePath}`] };
  }

  return {
    platform: 'kuaishou',
    destination: 'kuaishou',
    identifiers: kuaishouIdentifiers(assumptions.idfaBeforeMd5),
    capabilities: {
      transport: 'file',
      removal: 'file',
      maxMembersPerBatch: 1_000_000,
      maxFileBytes: 3 * 1024 ** 3,
      idTypesPerAudience: 'one',
      createNeedsMembers: true,
      badRows: 'file',
      tokenRefresh: true,
    },

    async createAudience(ctx, spec, first) {
      if (!first || first.op !== 'add') throw new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', 'kuaishou: a population is created from its first file: pass the first members as an add batch', { platform: 'kuaishou' });
      const type = typeOf(spec);
      const filePath = await uploadFile(ctx, type, first);
      const response = await client.call(ctx, {
        method: 'POST',
        url: dmp(ctx, 'upload'),
        json: { advertiser_id: BigInt(ctx.accountId), orientation_name: fitName(spec.name, { chars: 50 }), type, file_paths: [filePath] },
      });
      const id = String((response.body as { data: { orientation_id: unknown } }).data.orientation_id);
      return { audience: { id, name: spec.name, idTypes: spec.idTypes }, outcome: { accepted: first.members.length, rejected: [], receipts: [`${id}:${filePath}`] } };
    },

    upload,

    async status(ctx, audience, receipt) {
      const filePath = receipt.slice(receipt.indexOf(':') + 1);
      for (let page = 1; ; page++) {
        const response = await client.call(ctx, { method: 'POST', url: client.url(ctx, 'api', assumptions.listPath), json: { advertiser_id: BigInt(ctx.accountId), page, page_size: PAGE_SIZE } });
        const data = (response.body as { data: { details?: Population[]; total_count?: number } }).data;
        const population = data.details?.find((each) => String(each.orientation_id) === audience.id);
        if (population) return stateOf(population, filePath);
        if (page * PAGE_SIZE >= (data.total_count ?? 0)) throw new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', `kuaishou: no population ${audience.id}`, { platform: 'kuaishou' });
      }
    },
  };
}

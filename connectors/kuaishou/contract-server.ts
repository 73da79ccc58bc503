/**
 * Kuaishou (磁力引擎) contract (reference §1.9, §2.1, §2.2), enforced on a local fake:
 * - `Access-Token` header; `{code, message, data, request_id}` with errors inside HTTP 200;
 * - population/file/upload: multipart advertiser_id, a known `type`, a txt file of one id per
 *   line, answered with a file_path;
 * - population/upload creates (orientation_name ≤50 characters and unique, ≤10 file_paths of the
 *   population's type); population/update with operation_type 1 append or 3 delete;
 * - a file with a bad line is not used and is listed in failed_file_paths (❓ when Kuaishou does this);
 * - status 0 computing, then 1 effective with record_size (matched people);
 * - track/activate takes one callback with event_type, a 13-digit event_time and, for payments
 *   and cart events, purchase_amount in 元 with two decimals;
 * - v1/report/campaign_report: daily rows, charge in 元, paged.
 */
import { codeIn200 } from '../contract-kit/code-in-200.ts';
import type { ContractServer } from '../contract-kit/contract-server.ts';
import { demand } from '../contract-kit/contract-violation.ts';
import type { FakeAudience, FakeRow } from '../contract-kit/fake-audiences.ts';
import { fakeCampaignDays, pageOf } from '../contract-kit/fake-campaigns.ts';
import { FakeJobs } from '../contract-kit/fake-jobs.ts';
import { FakePlatform, type FakeOptions } from '../contract-kit/fake-platform.ts';
import { HEX32, HEX64, mainland11, md5, phoneSpellings, sha256 } from '../contract-kit/fake-population.ts';
import { bareIdOf, idOf, intOf, listOf, multipartOf, objectOf, textOf } from '../contract-kit/request-values.ts';
import { startFakeServer } from '../contract-kit/start-fake-server.ts';
import { kuaishouAssumptions, type KuaishouAssumptions } from './kuaishou-assumptions.ts';

const TYPE_NAMES: Record<string, string> = { '3': 'IMEI_MD5', '4': 'IDFA_MD5', '5': 'PHONE_MD5', '8': 'OAID_MD5', '9': 'PHONE_SHA256' };
const NEEDS_AMOUNT = new Set([3, 12, 13, 14, 15]);
const PAGE_SIZE = 4;

interface Upload {
  readonly type: string;
  readonly rows: FakeRow[];
  readonly valid: boolean;
}

export async function startKuaishouContractServer(options: FakeOptions & { assumptions?: Partial<KuaishouAssumptions> } = {}): Promise<ContractServer> {
  const assumptions = { ...kuaishouAssumptions, ...options.assumptions };
  const upper = assumptions.idfaBeforeMd5 === 'upper';
  const state = new FakePlatform(
    'kuaishou',
    options,
    {
      PHONE_MD5: { format: HEX32, spell: mainland11, misspellings: phoneSpellings, hash: md5 },
      PHONE_SHA256: { format: HEX64, spell: mainland11, misspellings: phoneSpellings, hash: sha256 },
      IMEI_MD5: { format: HEX32, spell: (p) => p.imei, misspellings: [], hash: md5 },
      IDFA_MD5: { format: HEX32, spell: (p) => (upper ? p.idfa : p.idfa.toLowerCase()), misspellings: [(p) => (upper ? p.idfa.toLowerCase() : p.idfa)], hash: md5 },
      OAID_MD5: { format: HEX32, spell: (p) => p.oaid, misspellings: [(p) => p.oaid.toUpperCase()], hash: md5 },
    },
    options.minimumSize,
    'CNY',
  );
  const uploads = new Map<string, Upload>();
  const computing = new FakeJobs<null>(state.pollsToFinish);
  const { answer, refuse, replies } = codeIn200({
    tokenCode: () => assumptions.tokenExpiredCodes[0]!,
    rateLimitCode: assumptions.rateLimitCode,
    serverCode: 500000,
    violationCode: () => assumptions.parameterCode,
    envelope: { request_id: 'fake-request' },
  });

  /** Applies the files of a create or update; a file with a bad line is left out and listed as failed. */
  function apply(audience: FakeAudience, type: string, paths: unknown[], remove: boolean) {
    demand(paths.length >= 1 && paths.length <= 10, 'file_paths takes 1 to 10 files');
    const failed = audience.extra.failed as string[];
    for (const path of paths.map(String)) {
      const upload = uploads.get(path);
      demand(upload && upload.type === type, `file_path ${path} is not an uploaded file of type ${type}`);
      if (!upload.valid) failed.push(path);
      else if (remove) state.audiences.remove(audience, upload.rows);
      else state.audiences.add(audience, upload.rows);
    }
    computing.start(audience.id, null);
  }

  /** The population as Kuaishou describes it; reading it for status counts as a poll. */
  function population(audience: FakeAudience, poll: boolean) {
    const job = computing.get(audience.id)!;
    const done = poll ? computing.poll(job) : computing.done(job);
    return {
      orientation_id: BigInt(audience.id),
      orientation_name: audience.name,
      type: Number(Object.keys(TYPE_NAMES).find((code) => TYPE_NAMES[code] === audience.idTypes[0])),
      status: done ? 1 : 0,
      record_size: done ? state.audiences.matched(audience) : 0,
      failed_file_paths: audience.extra.failed,
    };
  }

  return startFakeServer({
    state,
    refresh: true,
    tokenOf: (request) => request.headers['access-token'] as string | undefined,
    replies,
    routes(app) {
      app.post(assumptions.refreshPath, { config: { access: 'none' } }, async (request, reply) => {
        const body = objectOf(request.body);
        const renewed = state.tokens.refresh(String(body.refresh_token), String(body.app_id), String(body.secret));
        if (!renewed) return refuse(reply, assumptions.tokenExpiredCodes[1]!, 'refresh token invalid');
        return answer({ access_token: renewed.accessToken, refresh_token: renewed.refreshToken, access_token_expires_in: 86_400 });
      });

      app.post('/rest/openapi/gw/dmp/v2/dmp/population/file/upload', async (request) => {
        const { fields, file } = await multipartOf(request);
        const advertiser = idOf(fields.advertiser_id, 'advertiser_id');
        const type = TYPE_NAMES[fields.type ?? ''];
        demand(type, `type ${fields.type} is not one this fake takes (3, 4, 5, 8, 9)`);
        demand(file && file.name.endsWith('.txt'), 'file must be a txt file');
        const rejectRow = state.faults.nextRejectedRow();
        let valid = true;
        const rows: FakeRow[] = [];
        file.data
          .toString('utf8')
          .split(/\r?\n/)
          .filter((line) => line !== '')
          .forEach((line, index) => {
            const check = state.population.check(type, line);
            if (!check.ok || index === rejectRow) valid = false;
            else rows.push({ ids: [`${type}:${line}`], person: check.person });
          });
        const path = `${advertiser}_${fields.type}_${state.audiences.newId()}.txt`;
        uploads.set(path, { type, rows, valid });
        return answer({ file_path: path });
      });

      app.post('/rest/openapi/gw/dmp/v2/dmp/population/upload', async (request) => {
        const body = objectOf(request.body);
        bareIdOf(body.advertiser_id, 'advertiser_id');
        const name = textOf(body.orientation_name, 'orientation_name');
        demand([...name].length <= 50, 'orientation_name is at most 50 characters');
        demand(!state.audiences.find((each) => each.name === name), 'orientation_name is already used');
        const type = TYPE_NAMES[String(intOf(body.type, 'type'))];
        demand(type, 'type is not known');
        const audience = state.audiences.create(name, [type], { failed: [] });
        apply(audience, type, listOf(body.file_paths, 'file_paths'), false);
        return answer(population(audience, false));
      });

      app.post('/rest/openapi/gw/dmp/v2/dmp/population/update', async (request) => {
        const body = objectOf(request.body);
        bareIdOf(body.advertiser_id, 'advertiser_id');
        const audience = state.audiences.get(bareIdOf(body.orientation_id, 'orientation_id'));
        const type = TYPE_NAMES[String(intOf(body.type, 'type'))];
        demand(type && type === audience.idTypes[0], 'type must be the population type');
        const operation = intOf(body.operation_type, 'operation_type');
        demand(operation === 1 || operation === 3, 'operation_type is 1 append or 3 delete');
        apply(audience, type, listOf(body.file_paths, 'file_paths'), operation === 3);
        return answer(population(audience, false));
      });

      app.post(assumptions.listPath, async (request) => {
        const body = objectOf(request.body);
        bareIdOf(body.advertiser_id, 'advertiser_id');
        const all = state.audiences.list();
        const { items } = pageOf(all, intOf(body.page ?? 1, 'page'), intOf(body.page_size ?? 20, 'page_size'));
        return answer({ details: items.map((audience) => population(audience, true)), total_count: all.length });
      });

      app.get('/track/activate', { config: { access: 'open' } }, async (request) => {
        const query = request.query as Record<string, string | undefined>;
        const callback = textOf(query.callback, 'callback');
        const type = intOf(query.event_type, 'event_type');
        demand(/^\d{13}$/.test(query.event_time ?? ''), 'event_time is 13 digits of milliseconds');
        if (NEEDS_AMOUNT.has(type)) demand(/^\d+\.\d{2}$/.test(query.purchase_amount ?? ''), 'purchase_amount in 元 with two decimals is required for this event_type');
        state.conversions.push({ key: callback, type });
        return { result: 1 };
      });

      app.post('/rest/openapi/v1/report/campaign_report', async (request) => {
        const body = objectOf(request.body);
        bareIdOf(body.advertiser_id, 'advertiser_id');
        demand(body.temporal_granularity === 'DAILY', 'temporal_granularity DAILY is expected');
        const pageSize = intOf(body.page_size ?? 20, 'page_size');
        demand(pageSize >= 1 && pageSize <= 2000, 'page_size is 1 to 2000');
        const rows = fakeCampaignDays(textOf(body.start_date, 'start_date'), textOf(body.end_date, 'end_date')).map((day) => ({
          campaign_id: BigInt(day.campaignId),
          campaign_name: day.campaignName,
          stat_date: day.date,
          show: day.impressions,
          [assumptions.clickField]: day.clicks,
          charge: (day.spendCents / 100).toFixed(2),
          conversion_num: day.conversions,
        }));
        return answer({ details: pageOf(rows, intOf(body.page ?? 1, 'page'), Math.min(pageSize, PAGE_SIZE)).items, total_count: rows.length });
      });
    },
  });
}

/**
 * Ocean Engine contract (reference §1.8, §2.1, §2.2), enforced on a local fake:
 * - `Access-Token` header; `{code, message, request_id, data}` with errors inside HTTP 200;
 *   OAuth refresh at oauth2/refresh_token;
 * - data_source/file/upload: multipart with advertiser_id, a zip and file_signature = its MD5;
 *   every line base64 of a proto2 DmpData whose ids match their dataType, lower-case hex; a file
 *   with a bad line is refused (❓ where Ocean Engine reports it); the file_path expires after 14 days;
 * - data_source/create (≤100 a day per advertiser, name ≤30 characters, data_format 0,
 *   file_storage_type 0, ≤1,000 file_paths) and update (operation_type 1 add, 2 delete, 3 reset);
 * - data_source/read: status 0, 1 parsing, 2 done, with upload_num, cover_num, change_logs and
 *   the default audience; publish needs status 2, push_v2 needs publish, then delivery is AVAILABLE;
 * - the Conversion API takes one event with a click callback and a millisecond timestamp;
 * - report/custom/get answers rows of dimensions and metrics, stat_cost in 元, paged.
 */
import { createHash } from 'node:crypto';
import { strFromU8, unzipSync } from 'fflate';
import { codeIn200 } from '../contract-kit/code-in-200.ts';
import type { ContractServer } from '../contract-kit/contract-server.ts';
import { ContractViolation, demand } from '../contract-kit/contract-violation.ts';
import type { FakeAudience, FakeRow } from '../contract-kit/fake-audiences.ts';
import { fakeCampaignDays, pageOf } from '../contract-kit/fake-campaigns.ts';
import { FakeJobs } from '../contract-kit/fake-jobs.ts';
import { FakePlatform, type FakeOptions } from '../contract-kit/fake-platform.ts';
import { HEX32, HEX64, mainland11, md5, phoneSpellings, sha256 } from '../contract-kit/fake-population.ts';
import { bareIdOf, idOf, intOf, jsonQueryList, listOf, multipartOf, objectOf, textOf } from '../contract-kit/request-values.ts';
import { startFakeServer } from '../contract-kit/start-fake-server.ts';
import { oceanEngineAssumptions, type OceanEngineAssumptions } from './oceanengine-assumptions.ts';
import { DATA_TYPES, decodeDmpLine } from './oceanengine-dmp-data.ts';

const DAY_MS = 86_400_000;
const PAGE_SIZE = 4;
const AVAILABLE = 'CUSTOM_AUDIENCE_DELIVERY_STATUS_AVAILABLE';
const TYPE_NAMES = Object.fromEntries(Object.entries(DATA_TYPES).map(([name, number]) => [number, name]));

export async function startOceanEngineContractServer(options: FakeOptions & { assumptions?: Partial<OceanEngineAssumptions> } = {}): Promise<ContractServer> {
  const assumptions = { ...oceanEngineAssumptions, ...options.assumptions };
  const idfa = (upper: boolean) => (p: { idfa: string }) => (upper ? p.idfa : p.idfa.toLowerCase());
  const state = new FakePlatform(
    'oceanengine',
    options,
    {
      MOBILE_HASH_SHA256: { format: HEX64, spell: mainland11, misspellings: phoneSpellings, hash: sha256 },
      IMEI_MD5: { format: HEX32, spell: (p) => p.imei, misspellings: [], hash: md5 },
      IDFA_MD5: { format: HEX32, spell: idfa(assumptions.idfaBeforeMd5 === 'upper'), misspellings: [idfa(assumptions.idfaBeforeMd5 !== 'upper')], hash: md5 },
      OAID_MD5: { format: HEX32, spell: (p) => p.oaid, misspellings: [(p) => p.oaid.toUpperCase()], hash: md5 },
    },
    options.minimumSize,
    'CNY',
  );
  const files = new Map<string, { rows: FakeRow[]; at: number }>();
  const parsing = new FakeJobs<{ changes: Array<{ id: string; action: number }> }>(state.pollsToFinish);
  const createsPerDay = new Map<string, number>();
  const { answer, refuse, replies } = codeIn200({
    tokenCode: () => assumptions.tokenExpiredCodes[0]!,
    rateLimitCode: assumptions.rateLimitCode,
    serverCode: 50000,
    violationCode: () => assumptions.parameterCode,
    envelope: { request_id: 'fake-request' },
  });

  function readFile(data: Buffer): FakeRow[] {
    const rejectRow = state.faults.nextRejectedRow();
    const entries = Object.values(unzipSync(new Uint8Array(data)));
    demand(entries.length === 1, 'the zip holds one text file');
    return strFromU8(entries[0]!)
      .split('\n')
      .filter((line) => line !== '')
      .map((line, index) => {
        let ids: ReturnType<typeof decodeDmpLine>;
        try {
          ids = decodeDmpLine(line);
        } catch {
          throw new ContractViolation('invalid', `line ${index + 1} is not base64 of a DmpData`);
        }
        demand(ids.length >= 1 && ids.length <= 10_000, `line ${index + 1} holds 1 to 10000 ids`);
        demand(index !== rejectRow, `line ${index + 1} refused by the test`);
        let person: number | undefined;
        const typed = ids.map(({ dataType, id }) => {
          const type = TYPE_NAMES[dataType] ?? String(dataType);
          const check = state.population.check(type, id);
          demand(check.ok, `line ${index + 1}: ${check.ok ? '' : check.reason}`);
          person ??= check.person;
          return `${type}:${id}`;
        });
        return { ids: typed, person };
      });
  }

  function rowsOf(paths: unknown[]): FakeRow[] {
    demand(paths.length >= 1 && paths.length <= 1000, 'file_paths takes 1 to 1000 paths');
    return paths.flatMap((path) => {
      const file = files.get(String(path));
      demand(file, `unknown file_path ${String(path)}`);
      demand(state.now() - file.at <= 14 * DAY_MS, `file_path ${String(path)} expired (14 days)`);
      return file.rows;
    });
  }

  function dataSource(audience: FakeAudience) {
    const job = parsing.get(audience.id)!;
    const done = parsing.poll(job);
    const extra = audience.extra as { customAudienceId?: string; published?: boolean; pushed?: boolean };
    if (done) extra.customAudienceId ??= state.audiences.newId();
    return {
      data_source_id: BigInt(audience.id),
      status: done ? 2 : 1,
      upload_num: audience.rows.size,
      cover_num: state.audiences.matched(audience),
      change_logs: job.data.changes.map((change) => ({ change_log_id: BigInt(change.id), action: change.action, status: done ? 2 : 1 })),
      ...(extra.customAudienceId
        ? { default_audience: { custom_audience_id: BigInt(extra.customAudienceId), status: 0, push_status: extra.pushed ? 1 : 0, delivery_status: extra.published && extra.pushed ? AVAILABLE : 'CUSTOM_AUDIENCE_DELIVERY_STATUS_UNAVAILABLE' } }
        : {}),
    };
  }

  const byCustomAudience = (id: string) => state.audiences.find((audience) => audience.extra.customAudienceId === id) ?? state.audiences.get(id);

  return startFakeServer({
    state,
    refresh: true,
    tokenOf: (request) => request.headers['access-token'] as string | undefined,
    replies,
    routes(app) {
      app.post('/open_api/oauth2/refresh_token/', { config: { access: 'none' } }, async (request, reply) => {
        const body = objectOf(request.body);
        const renewed = state.tokens.refresh(String(body.refresh_token), String(body.app_id), String(body.secret));
        if (body.grant_type !== 'refresh_token' || !renewed) return refuse(reply, assumptions.tokenExpiredCodes[1]!, 'refresh token invalid');
        return answer({ access_token: renewed.accessToken, refresh_token: renewed.refreshToken, expires_in: 86_400 });
      });

      app.post('/open_api/2/dmp/data_source/file/upload/', async (request) => {
        const { fields, file } = await multipartOf(request);
        idOf(fields.advertiser_id, 'advertiser_id');
        demand(file, 'file is required');
        demand(fields.file_signature === createHash('md5').update(file.data).digest('hex'), 'file_signature must be the MD5 of the file');
        const path = `dmp/${state.audiences.newId()}.zip`;
        files.set(path, { rows: readFile(file.data), at: state.now() });
        return answer({ file_path: path });
      });

      app.post('/open_api/2/dmp/data_source/create/', async (request) => {
        const body = objectOf(request.body);
        const advertiser = bareIdOf(body.advertiser_id, 'advertiser_id');
        const name = textOf(body.data_source_name, 'data_source_name');
        demand([...name].length <= 30, 'data_source_name is at most 30 characters');
        demand(String(body.description ?? '').length <= 256, 'description is at most 256 characters');
        demand(intOf(body.data_format, 'data_format') === 0 && intOf(body.file_storage_type, 'file_storage_type') === 0, 'data_format and file_storage_type are 0');
        demand(['UID', 'DID', undefined].includes(body.data_source_type as string), 'data_source_type is UID or DID');
        const day = `${advertiser} ${new Date(state.now()).toISOString().slice(0, 10)}`;
        demand((createsPerDay.get(day) ?? 0) < 100, 'at most 100 data sources a day per advertiser');
        const rows = rowsOf(listOf(body.file_paths, 'file_paths'));
        createsPerDay.set(day, (createsPerDay.get(day) ?? 0) + 1);
        const audience = state.audiences.create(name, [], {});
        state.audiences.add(audience, rows);
        parsing.start(audience.id, { changes: [] });
        return answer({ data_source_id: BigInt(audience.id) });
      });

      app.post('/open_api/2/dmp/data_source/update/', async (request) => {
        const body = objectOf(request.body);
        bareIdOf(body.advertiser_id, 'advertiser_id');
        const audience = state.audiences.get(bareIdOf(body.data_source_id, 'data_source_id'));
        const operation = intOf(body.operation_type, 'operation_type');
        demand([1, 2, 3].includes(operation), 'operation_type is 1 add, 2 delete or 3 reset');
        const rows = rowsOf(listOf(body.file_paths, 'file_paths'));
        if (operation === 3) audience.rows.clear();
        if (operation === 2) state.audiences.remove(audience, rows);
        else state.audiences.add(audience, rows);
        const job = parsing.start(audience.id, { changes: [...parsing.get(audience.id)!.data.changes, { id: state.audiences.newId(), action: operation }] });
        return answer({ data_source_id: BigInt(audience.id), change_log_id: BigInt(job.data.changes.at(-1)!.id) });
      });

      app.get('/open_api/2/dmp/data_source/read/', async (request) => {
        const query = request.query as Record<string, unknown>;
        idOf(query.advertiser_id, 'advertiser_id');
        const ids = jsonQueryList(query.data_source_id_list, 'data_source_id_list');
        demand(ids.length >= 1 && ids.length <= 400, 'data_source_id_list takes 1 to 400 ids');
        return answer({ data_list: ids.map((id) => dataSource(state.audiences.get(String(id)))) });
      });

      app.post('/open_api/2/dmp/custom_audience/publish/', async (request) => {
        const body = objectOf(request.body);
        const audience = byCustomAudience(bareIdOf(body.custom_audience_id, 'custom_audience_id'));
        demand(audience.extra.customAudienceId && parsing.done(parsing.get(audience.id)!), 'the data source has not finished parsing');
        audience.extra.published = true;
        return answer({});
      });

      app.post('/open_api/2/dmp/custom_audience/push_v2/', async (request) => {
        const body = objectOf(request.body);
        const audience = byCustomAudience(bareIdOf(body.custom_audience_id, 'custom_audience_id'));
        const targets = listOf(body.target_advertiser_ids, 'target_advertiser_ids');
        demand(targets.length >= 1 && targets.length <= 100, 'target_advertiser_ids takes 1 to 100 advertisers');
        demand(audience.extra.published, 'publish the audience before pushing it');
        audience.extra.pushed = true;
        return answer({});
      });

      app.post('/api/v2/conversion', { config: { access: 'open' } }, async (request) => {
        const body = objectOf(request.body);
        demand(Object.values(assumptions.eventTypes).includes(String(body.event_type)), `event_type ${String(body.event_type)} is not known`);
        const callback = textOf(objectOf(objectOf(body.context, 'context').ad, 'context.ad').callback, 'context.ad.callback');
        demand(String(intOf(body.timestamp, 'timestamp')).length === 13, 'timestamp is in milliseconds');
        state.conversions.push({ key: callback, type: body.event_type });
        return { code: 0, message: 'success' };
      });

      app.get('/open_api/v3.0/report/custom/get/', async (request) => {
        const query = request.query as Record<string, unknown>;
        const names = assumptions.report;
        const dimensions = jsonQueryList(query.dimensions, 'dimensions');
        const metrics = jsonQueryList(query.metrics, 'metrics');
        demand(dimensions.includes(names.day) && dimensions.includes(names.campaign), `dimensions must include ${names.day} and ${names.campaign}`);
        demand(['stat_cost', names.impressions, names.clicks, names.conversions].every((metric) => metrics.includes(metric)), 'metrics must include the report metrics');
        const rows = fakeCampaignDays(textOf(query.start_time, 'start_time'), textOf(query.end_time, 'end_time')).map((day) => ({
          dimensions: { [names.day]: day.date, [names.campaign]: BigInt(day.campaignId) },
          metrics: { stat_cost: (day.spendCents / 100).toFixed(2), [names.impressions]: day.impressions, [names.clicks]: day.clicks, [names.conversions]: day.conversions },
        }));
        const { items, totalPages } = pageOf(rows, intOf(query.page ?? '1', 'page'), Math.min(intOf(query.page_size ?? '10', 'page_size'), PAGE_SIZE));
        return answer({ rows: items, total_metrics: {}, page_info: { page: Number(query.page ?? 1), total_page: totalPages } });
      });
    },
  });
}

/**
 * TikTok API for Business v1.3 contract (reference §1.4, §2.1, §2.2), enforced on a local fake:
 * - `Access-Token` header; `{code, message, request_id, data}` with errors inside HTTP 200
 *   (rate limit 40100); no token refresh;
 * - segment/audience creates an audience of one id_type; segment/mapping adds or deletes at most
 *   the batch limit of users, each an inner list aligned to id_schema, 64 lower-case hex; any bad
 *   user fails the call;
 * - customer files: file/upload needs file_signature = MD5 of the file and a calculate_type,
 *   every line a valid id of that type (else the file is refused); create (name ≤128, retention
 *   1-365 days) and update (APPEND, REMOVE, REPLACE) need files of the audience's calculate_type,
 *   and a change leaving fewer than the minimum size (1,000) is refused; get reports is_valid and
 *   cover_num once calculated;
 * - event/track: event_source and id, events with event_time in seconds and SHA-256 user data;
 * - report/integrated/get: BASIC, AUCTION_CAMPAIGN, metrics as strings, paged.
 */
import { createHash } from 'node:crypto';
import { codeIn200 } from '../contract-kit/code-in-200.ts';
import type { ContractServer } from '../contract-kit/contract-server.ts';
import { ContractViolation, demand } from '../contract-kit/contract-violation.ts';
import type { FakeAudience, FakeRow } from '../contract-kit/fake-audiences.ts';
import { fakeCampaignDays, pageOf } from '../contract-kit/fake-campaigns.ts';
import { FakeJobs } from '../contract-kit/fake-jobs.ts';
import { FakePlatform, type FakeOptions } from '../contract-kit/fake-platform.ts';
import { emailSpellings, HEX32, HEX64, md5, phoneSpellings, sha256 } from '../contract-kit/fake-population.ts';
import { intOf, jsonQueryList, listOf, multipartOf, objectOf, textOf } from '../contract-kit/request-values.ts';
import { startFakeServer } from '../contract-kit/start-fake-server.ts';
import { tiktokAssumptions, type TikTokAssumptions } from './tiktok-assumptions.ts';

const PAGE_SIZE = 4;

export async function startTikTokContractServer(options: FakeOptions & { assumptions?: Partial<TikTokAssumptions> } = {}): Promise<ContractServer> {
  const assumptions = { ...tiktokAssumptions, ...options.assumptions };
  const state = new FakePlatform(
    'tiktok',
    options,
    {
      EMAIL_SHA256: { format: HEX64, spell: (p) => p.email, misspellings: emailSpellings, hash: sha256 },
      PHONE_SHA256: { format: HEX64, spell: (p) => p.phone, misspellings: phoneSpellings.slice(2), hash: sha256 },
      IDFA_SHA256: { format: HEX64, spell: (p) => p.idfa, misspellings: [], hash: sha256 },
      IDFA_MD5: { format: HEX32, spell: (p) => p.idfa, misspellings: [], hash: md5 },
    },
    options.minimumSize ?? 1000,
    'USD',
  );
  const files = new Map<string, { type: string; rows: FakeRow[] }>();
  const calculation = new FakeJobs<null>(state.pollsToFinish);
  const { answer, replies } = codeIn200({
    tokenCode: () => assumptions.tokenInvalidCodes[1]!,
    rateLimitCode: assumptions.rateLimitCode,
    serverCode: 50000,
    violationCode: (violation) => (violation.kind === 'too_small' ? assumptions.audienceTooSmallCode : assumptions.parameterCode),
    envelope: { request_id: 'fake-request' },
  });

  function rowOf(type: string, value: string, where: string): FakeRow {
    const check = state.population.check(type, value);
    demand(check.ok, `${where}: ${check.ok ? '' : check.reason}`);
    return { ids: [`${type}:${value}`], person: check.person };
  }

  function applyFiles(audience: FakeAudience, paths: unknown[], action: string) {
    demand(paths.length >= 1, 'file_paths takes at least one path');
    const rows = paths.flatMap((path) => {
      const file = files.get(String(path));
      demand(file && file.type === audience.idTypes[0], `file_path ${String(path)} is not a file of calculate_type ${audience.idTypes[0]}`);
      return file.rows;
    });
    const size = action === 'APPEND' ? state.audiences.sizeAfterAdding(audience, rows) : action === 'REMOVE' ? state.audiences.sizeAfterRemoving(audience, rows) : new Set(rows.map((row) => row.ids.join())).size;
    if (size < state.minimumSize!) throw new ContractViolation('too_small', `the audience would have ${size} people, fewer than ${state.minimumSize}`);
    if (action === 'REPLACE') audience.rows.clear();
    if (action === 'REMOVE') state.audiences.remove(audience, rows);
    else state.audiences.add(audience, rows);
    calculation.start(audience.id, null);
  }

  return startFakeServer({
    state,
    refresh: false,
    tokenOf: (request) => request.headers['access-token'] as string | undefined,
    replies,
    routes(app) {
      app.post('/open_api/v1.3/segment/audience/', async (request) => {
        const body = objectOf(request.body);
        textOf(body.advertiser_id, 'advertiser_id');
        demand(body.action === 'create', 'action must be create');
        const type = textOf(body.id_type, 'id_type');
        demand(state.population.has(type) && type !== 'IDFA_MD5', `id_type ${type} is not a segment id type`);
        return answer({ audience_id: state.audiences.create(textOf(body.custom_audience_name, 'custom_audience_name'), [type]).id });
      });

      app.post('/open_api/v1.3/segment/mapping/', async (request) => {
        const body = objectOf(request.body);
        listOf(body.advertiser_ids, 'advertiser_ids');
        demand(body.action === 'add' || body.action === 'delete', 'action is add or delete');
        const schema = listOf(body.id_schema, 'id_schema').map((type) => textOf(type, 'id_schema'));
        const users = listOf(body.batch_data, 'batch_data');
        demand(users.length >= 1 && users.length <= assumptions.segmentBatchLimit, `batch_data takes 1 to ${assumptions.segmentBatchLimit} users`);
        const rejectRow = state.faults.nextRejectedRow();
        const byAudience = new Map<string, FakeRow[]>();
        users.forEach((entry, index) => {
          demand(index !== rejectRow, `user ${index} refused by the test`);
          const ids = listOf(entry, `batch_data[${index}]`);
          demand(ids.length === schema.length, 'each user lists one entry per id_schema type');
          ids.forEach((raw, column) => {
            const item = objectOf(raw, 'batch_data entry');
            if (Object.keys(item).length === 0) return;
            const row = rowOf(schema[column]!, textOf(item.id, 'id'), `batch_data[${index}]`);
            for (const id of listOf(item.audience_ids, 'audience_ids')) byAudience.set(String(id), [...(byAudience.get(String(id)) ?? []), row]);
          });
        });
        for (const [id, rows] of byAudience) {
          const audience = state.audiences.get(id);
          demand(schema.length === 1 && schema[0] === audience.idTypes[0], `audience ${id} holds ${audience.idTypes[0]}`);
          if (body.action === 'add') state.audiences.add(audience, rows);
          else state.audiences.remove(audience, rows);
        }
        return answer({});
      });

      app.post('/open_api/v1.3/dmp/custom_audience/file/upload/', async (request) => {
        const { fields, file } = await multipartOf(request);
        textOf(fields.advertiser_id, 'advertiser_id');
        const type = textOf(fields.calculate_type, 'calculate_type');
        demand(state.population.has(type), `calculate_type ${type} is not known`);
        demand(file && fields.file_signature === createHash('md5').update(file.data).digest('hex'), 'file_signature must be the MD5 of the file');
        const rejectRow = state.faults.nextRejectedRow();
        const rows = file.data
          .toString('utf8')
          .split('\n')
          .filter((line) => line !== '')
          .map((line, index) => {
            demand(index !== rejectRow, `line ${index + 1} refused by the test`);
            return rowOf(type, line, `line ${index + 1}`);
          });
        const path = `dmp/${state.audiences.newId()}`;
        files.set(path, { type, rows });
        return answer({ file_path: path });
      });

      app.post('/open_api/v1.3/dmp/custom_audience/create/', async (request) => {
        const body = objectOf(request.body);
        textOf(body.advertiser_id, 'advertiser_id');
        const name = textOf(body.custom_audience_name, 'custom_audience_name');
        demand([...name].length <= 128, 'custom_audience_name is at most 128 characters');
        const retention = intOf(body.retention_in_days, 'retention_in_days');
        demand(retention >= 1 && retention <= 365, 'retention_in_days is 1 to 365');
        const audience = state.audiences.create(name, [textOf(body.calculate_type, 'calculate_type')]);
        const rows = listOf(body.file_paths, 'file_paths').flatMap((path) => {
          const file = files.get(String(path));
          demand(file && file.type === audience.idTypes[0], `file_path ${String(path)} is not a file of calculate_type ${audience.idTypes[0]}`);
          return file.rows;
        });
        state.audiences.add(audience, rows);
        calculation.start(audience.id, null);
        return answer({ custom_audience_id: audience.id });
      });

      app.post('/open_api/v1.3/dmp/custom_audience/update/', async (request) => {
        const body = objectOf(request.body);
        const audience = state.audiences.get(textOf(body.custom_audience_id, 'custom_audience_id'));
        const action = String(body.action ?? 'REPLACE');
        demand(['APPEND', 'REMOVE', 'REPLACE'].includes(action), 'action is APPEND, REMOVE or REPLACE');
        applyFiles(audience, listOf(body.file_paths, 'file_paths'), action);
        return answer({});
      });

      app.get('/open_api/v1.3/dmp/custom_audience/get/', async (request) => {
        const query = request.query as Record<string, unknown>;
        const list = jsonQueryList(query.custom_audience_ids, 'custom_audience_ids').map((id) => {
          const audience = state.audiences.get(String(id));
          const valid = calculation.poll(calculation.get(audience.id)!);
          return { audience_details: { audience_id: audience.id, name: audience.name, calculate_type: audience.idTypes[0], is_valid: valid, cover_num: valid ? state.audiences.matched(audience) : 0 } };
        });
        return answer({ list });
      });

      app.post('/open_api/v1.3/event/track/', async (request) => {
        const body = objectOf(request.body);
        demand(['web', 'app', 'offline', 'crm'].includes(String(body.event_source)), 'event_source is web, app, offline or crm');
        textOf(body.event_source_id, 'event_source_id');
        const events = listOf(body.data, 'data');
        demand(events.length >= 1 && events.length <= assumptions.eventBatchLimit, `data takes 1 to ${assumptions.eventBatchLimit} events`);
        const read = events.map((entry) => {
          const event = objectOf(entry, 'event');
          demand(String(intOf(event.event_time, 'event_time')).length === 10, 'event_time is in seconds');
          const user = objectOf(event.user, 'user');
          for (const key of ['email', 'phone']) if (user[key] !== undefined) demand(HEX64.test(String(user[key])), `user.${key} must be SHA-256 hex`);
          return { key: textOf(event.event_id, 'event_id'), event: textOf(event.event, 'event') };
        });
        state.conversions.push(...read);
        return answer({});
      });

      app.get('/open_api/v1.3/report/integrated/get/', async (request) => {
        const query = request.query as Record<string, unknown>;
        demand(query.report_type === 'BASIC' && query.data_level === 'AUCTION_CAMPAIGN', 'report_type BASIC at data_level AUCTION_CAMPAIGN is expected');
        demand(jsonQueryList(query.metrics, 'metrics').includes(assumptions.currencyMetric), 'metrics must include the currency');
        const rows = fakeCampaignDays(textOf(query.start_date, 'start_date'), textOf(query.end_date, 'end_date')).map((day) => ({
          dimensions: { campaign_id: day.campaignId, stat_time_day: `${day.date} 00:00:00` },
          metrics: { spend: (day.spendCents / 100).toFixed(2), impressions: String(day.impressions), clicks: String(day.clicks), conversion: String(day.conversions), [assumptions.currencyMetric]: state.currency },
        }));
        const { items, totalPages } = pageOf(rows, intOf(query.page ?? '1', 'page'), PAGE_SIZE);
        return answer({ list: items, page_info: { page: Number(query.page ?? 1), total_page: totalPages } });
      });
    },
  });
}

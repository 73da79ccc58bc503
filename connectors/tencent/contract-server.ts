/**
 * Tencent Marketing API v3.0 contract (reference §1.7, §2.1, §2.2), enforced on a local fake:
 * - every call: access_token, timestamp within ±300 s of the fake's clock, a nonce of 1-32
 *   characters never used before; answers `{code, message, message_cn, data}` in HTTP 200;
 *   11000 expired and 11002 invalid tokens; OAuth refresh at /oauth/token;
 * - custom_audiences/add: integer account_id, name ≤32 bytes, a known type, outer_audience_id
 *   idempotent; custom_audience_files/add: multipart with a known user_id_type, APPEND or REDUCE,
 *   a txt or zip file ≤100 MB, one id per line: MD5 32 hex (either case), SHA-256 64 hex;
 *   custom_audience_files/get: PENDING, PROCESSING, then SUCCESS with line, valid-line and user counts;
 * - quotas: 11017 (per minute) inside HTTP 200;
 * - user_actions/add: 1-50 actions, ≤50 KB, outer_action_id [A-Za-z0-9_], a hashed user id or a
 *   click id, action_time in seconds;
 * - daily_reports/get: one row per campaign and date, cost in 分, paged.
 */
import { strFromU8, unzipSync } from 'fflate';
import { stringify } from 'lossless-json';
import { codeIn200 } from '../contract-kit/code-in-200.ts';
import type { ContractServer } from '../contract-kit/contract-server.ts';
import { ContractViolation, demand } from '../contract-kit/contract-violation.ts';
import type { FakeRow } from '../contract-kit/fake-audiences.ts';
import { fakeCampaignDays, pageOf } from '../contract-kit/fake-campaigns.ts';
import { FakeJobs } from '../contract-kit/fake-jobs.ts';
import type { FakePerson } from '../contract-kit/fake-people.ts';
import { FakePlatform, type FakeOptions } from '../contract-kit/fake-platform.ts';
import { HEX32, HEX64, mainland11, md5, phoneSpellings, sha256, type FakeIdType } from '../contract-kit/fake-population.ts';
import { bareIdOf, idOf, intOf, listOf, multipartOf, objectOf, textOf } from '../contract-kit/request-values.ts';
import { startFakeServer } from '../contract-kit/start-fake-server.ts';
import { tencentAssumptions, type TencentAssumptions } from './tencent-assumptions.ts';

const AUDIENCE_TYPES = new Set(['CUSTOMER_FILE', 'LOOKALIKE', 'USER_ACTION', 'KEYWORD', 'AD', 'COMBINE']);
const ACTION_TYPES = new Set(['PURCHASE', 'REGISTER', 'ACTIVATE_APP', 'COMPLETE_ORDER', 'RESERVATION', 'ADD_TO_CART', 'CUSTOM']);
const PAGE_SIZE = 4;

interface FileJob {
  readonly audienceId: string;
  readonly lines: number;
  readonly valid: number;
  readonly users: number;
}

const upper = (p: FakePerson) => p.idfa;
const lower = (p: FakePerson) => p.idfa.toLowerCase();
const md5Of = (spell: (p: FakePerson) => string | undefined, misspellings: FakeIdType['misspellings']): FakeIdType => ({ format: HEX32, spell, misspellings, hash: md5 });
const doubleOf = (spell: (p: FakePerson) => string | undefined, misspellings: FakeIdType['misspellings']): FakeIdType => ({ format: HEX64, spell, misspellings, hash: (text) => sha256(md5(text)) });

export async function startTencentContractServer(options: FakeOptions & { assumptions?: Partial<TencentAssumptions> } = {}): Promise<ContractServer> {
  const assumptions = { ...tencentAssumptions, ...options.assumptions };
  const state = new FakePlatform(
    'tencent',
    options,
    {
      HASH_MOBILE_PHONE: md5Of(mainland11, phoneSpellings),
      SHA256_MOBILE_PHONE: { format: HEX64, spell: mainland11, misspellings: phoneSpellings, hash: sha256 },
      HASH_IMEI: md5Of((p) => p.imei, []),
      MD5_SHA256_IMEI: doubleOf((p) => p.imei, []),
      HASH_IDFA: md5Of(upper, [lower]),
      MD5_SHA256_IDFA: doubleOf(upper, [lower]),
      HASH_OAID: md5Of((p) => p.oaid, [(p) => p.oaid.toUpperCase()]),
      MD5_SHA256_OAID: doubleOf((p) => p.oaid, [(p) => p.oaid.toUpperCase()]),
    },
    options.minimumSize,
    'CNY',
  );
  const files = new FakeJobs<FileJob>(state.pollsToFinish);
  const nonces = new Set<string>();
  const { answer, refuse, replies } = codeIn200({
    tokenCode: (token) => (token === 'expired' ? 11000 : 11002),
    rateLimitCode: 11017,
    serverCode: 30001,
    violationCode: (violation) => (violation.kind !== 'conflict' ? assumptions.parameterCode : violation.message.startsWith('nonce') ? assumptions.nonceReusedCode : assumptions.timestampCode),
    envelope: { message_cn: '' },
  });

  function readLines(type: string, file: { name: string; data: Buffer }): string[] {
    const texts = file.name.endsWith('.zip') ? Object.values(unzipSync(file.data)).map((entry) => strFromU8(entry)) : [file.data.toString('utf8')];
    return texts.flatMap((text) => text.split(/\r?\n/)).map((line) => line.trim()).filter((line) => line !== '').map((line) => (type.startsWith('HASH_') ? line.toLowerCase() : line));
  }

  return startFakeServer({
    state,
    refresh: true,
    tokenOf: (request) => (request.query as Record<string, string | undefined>).access_token,
    checkCall(request) {
      const query = request.query as Record<string, string | undefined>;
      const timestamp = Number(query.timestamp);
      if (!Number.isInteger(timestamp) || Math.abs(state.now() / 1000 - timestamp) > 300) throw new ContractViolation('conflict', `timestamp ${query.timestamp} is not within 300 s of the server's clock`);
      const nonce = query.nonce ?? '';
      if (nonce === '' || nonce.length > 32 || nonces.has(nonce)) throw new ContractViolation('conflict', 'nonce must be 1-32 characters and never reused');
      nonces.add(nonce);
    },
    maxFileBytes: 100 * 1024 * 1024,
    replies,
    routes(app) {
      app.get(assumptions.tokenPath, { config: { access: 'none' } }, async (request, reply) => {
        const query = request.query as Record<string, string | undefined>;
        demand(query.grant_type === 'refresh_token', 'grant_type must be refresh_token');
        const renewed = state.tokens.refresh(query.refresh_token, query.client_id, query.client_secret);
        if (!renewed) return refuse(reply, 11002, 'refresh token invalid');
        return answer({ access_token: renewed.accessToken, refresh_token: renewed.refreshToken, access_token_expires_in: 86_400, refresh_token_expires_in: 2_592_000 });
      });

      app.post('/v3.0/custom_audiences/add', async (request) => {
        const body = objectOf(request.body);
        bareIdOf(body.account_id, 'account_id');
        const name = textOf(body.name, 'name');
        demand(Buffer.byteLength(name) <= 32, 'name is at most 32 bytes');
        demand(AUDIENCE_TYPES.has(String(body.type)), 'type is not a known audience type');
        const outer = body.outer_audience_id === undefined ? undefined : textOf(body.outer_audience_id, 'outer_audience_id');
        const audience = (outer && state.audiences.find((each) => each.extra.outer === outer)) || state.audiences.create(name, [], { outer });
        return answer({ audience_id: BigInt(audience.id) });
      });

      app.post('/v3.0/custom_audience_files/add', async (request) => {
        const { fields, file } = await multipartOf(request);
        idOf(fields.account_id, 'account_id');
        const audience = state.audiences.get(idOf(fields.audience_id, 'audience_id'));
        const type = textOf(fields.user_id_type, 'user_id_type');
        demand(state.population.has(type), `user_id_type ${type} is not one this fake takes`);
        const operation = fields.operation_type ?? 'APPEND';
        demand(operation === 'APPEND' || operation === 'REDUCE', 'operation_type is APPEND or REDUCE');
        demand(file && /\.(txt|csv|zip)$/.test(file.name), 'file must be a txt, csv or zip file');
        const rejectRow = state.faults.nextRejectedRow();
        const rows: FakeRow[] = [];
        const lines = readLines(type, file);
        lines.forEach((line, index) => {
          const check = state.population.check(type, line);
          if (check.ok && index !== rejectRow) rows.push({ ids: [`${type}:${line}`], person: check.person });
        });
        if (operation === 'APPEND') state.audiences.add(audience, rows);
        else state.audiences.remove(audience, rows);
        const id = state.audiences.newId();
        files.start(id, { audienceId: audience.id, lines: lines.length, valid: rows.length, users: new Set(rows.map((row) => row.person).filter((p) => p !== undefined)).size });
        return answer({ custom_audience_file_id: BigInt(id) });
      });

      app.get('/v3.0/custom_audience_files/get', async (request) => {
        const query = request.query as Record<string, string | undefined>;
        idOf(query.account_id, 'account_id');
        const pageSize = intOf(query.page_size ?? '10', 'page_size');
        demand(pageSize >= 1 && pageSize <= 100, 'page_size is 1 to 100');
        const list = files
          .list()
          .filter((job) => (query.audience_id === undefined || job.data.audienceId === query.audience_id) && (query.custom_audience_file_id === undefined || job.id === query.custom_audience_file_id))
          .map((job) => {
            const done = files.poll(job);
            return {
              custom_audience_file_id: BigInt(job.id),
              process_status: done ? assumptions.processStatus.done : job.polls === 0 ? 'PENDING' : 'PROCESSING',
              process_code: 0,
              error_message: '',
              line_count: job.data.lines,
              valid_line_count: done ? job.data.valid : 0,
              user_count: done ? job.data.users : 0,
            };
          });
        return answer({ list, page_info: { page: 1, page_size: pageSize, total_number: list.length, total_page: 1 } });
      });

      app.post('/v3.0/user_actions/add', async (request) => {
        const body = objectOf(request.body);
        demand((stringify(body) ?? '').length <= 50 * 1024, 'a call carries at most 50 KB');
        bareIdOf(body.account_id, 'account_id');
        bareIdOf(body.user_action_set_id, 'user_action_set_id');
        const actions = listOf(body.actions, 'actions');
        demand(actions.length >= 1 && actions.length <= 50, 'actions takes 1 to 50 actions');
        const read = actions.map((entry) => {
          const action = objectOf(entry, 'action');
          intOf(action.action_time, 'action_time');
          demand(ACTION_TYPES.has(String(action.action_type)), 'action_type is not known');
          const outer = textOf(action.outer_action_id, 'outer_action_id');
          demand(/^[A-Za-z0-9_]{1,255}$/.test(outer), 'outer_action_id is [A-Za-z0-9_], at most 255');
          const userId = objectOf(action.user_id ?? {}, 'user_id');
          for (const [key, value] of Object.entries(userId)) demand(key.startsWith('hash_') ? HEX32.test(String(value)) : HEX64.test(String(value)), `user_id.${key} is not a hash of the right length`);
          const clickId = action.trace === undefined ? undefined : objectOf(action.trace, 'trace').click_id;
          demand(Object.keys(userId).length > 0 || clickId, 'an action needs user_id or trace.click_id');
          if (action.action_param !== undefined) intOf(objectOf(action.action_param, 'action_param').value, 'action_param.value');
          return { key: outer, type: action.action_type };
        });
        state.conversions.push(...read);
        return answer({});
      });

      app.get('/v3.0/daily_reports/get', async (request) => {
        const query = request.query as Record<string, string | undefined>;
        demand(query.level === assumptions.reportLevel, `level must be ${assumptions.reportLevel}`);
        const range = objectOf(JSON.parse(textOf(query.date_range, 'date_range')), 'date_range');
        const pageSize = intOf(query.page_size ?? '10', 'page_size');
        demand(pageSize >= 1 && pageSize <= 2000, 'page_size is 1 to 2000');
        const f = assumptions.reportFields;
        const rows = fakeCampaignDays(textOf(range.start_date, 'start_date'), textOf(range.end_date, 'end_date')).map((day) => ({
          date: day.date,
          campaign_id: BigInt(day.campaignId),
          campaign_name: day.campaignName,
          [f.impressions]: day.impressions,
          [f.clicks]: day.clicks,
          [f.cost]: assumptions.moneyUnit === 'fen' ? day.spendCents : (day.spendCents / 100).toFixed(2),
          [f.conversions]: day.conversions,
        }));
        const { items, totalPages } = pageOf(rows, intOf(query.page ?? '1', 'page'), Math.min(pageSize, PAGE_SIZE));
        return answer({ list: items, page_info: { page: Number(query.page ?? 1), page_size: pageSize, total_number: rows.length, total_page: totalPages } });
      });
    },
  });
}

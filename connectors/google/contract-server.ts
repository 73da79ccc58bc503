/**
 * Google's contract (reference §1.1, §2.1, §2.2), enforced on a local fake:
 * - OAuth bearer tokens, refreshed at /token with the refresh token and client credentials;
 *   Google Ads calls also need a developer-token header;
 * - Data Manager ingest/remove: 1-10 destinations, 1-10,000 members, 1-10 identifiers each with
 *   exactly one of emailAddress/phoneNumber/address, 64 hex or 44 base64 characters per the
 *   declared encoding; any bad member refuses the request (400 INVALID_ARGUMENT, BadRequest field
 *   violations naming audience_members[i]); consent values from the documented enum;
 * - 429 RESOURCE_EXHAUSTED with ErrorInfo quota_limit and no Retry-After;
 * - requestStatus:retrieve moves from PROCESSING to SUCCESS with recordCount and a match-rate range;
 * - UploadClickConversions requires partialFailure: true; rows without a known gclid fail alone;
 * - searchStream answers a GAQL campaign/date query in batches, cost in micros as strings.
 */
import type { FastifyReply } from 'fastify';
import type { ContractServer } from '../contract-kit/contract-server.ts';
import { ContractViolation, demand } from '../contract-kit/contract-violation.ts';
import type { FakeRow } from '../contract-kit/fake-audiences.ts';
import { fakeCampaignDays } from '../contract-kit/fake-campaigns.ts';
import { FakeJobs } from '../contract-kit/fake-jobs.ts';
import { FakePlatform, type FakeOptions } from '../contract-kit/fake-platform.ts';
import { emailSpellings, gmailStripped, HEX64, phoneSpellings, sha256 } from '../contract-kit/fake-population.ts';
import { listOf, objectOf, textOf } from '../contract-kit/request-values.ts';
import { startFakeServer } from '../contract-kit/start-fake-server.ts';
import { googleAssumptions, type GoogleAssumptions } from './google-assumptions.ts';

const CONSENT = new Set(['CONSENT_STATUS_UNSPECIFIED', 'CONSENT_GRANTED', 'CONSENT_DENIED']);
const RANGES = [20, 30, 40, 50, 60, 70, 80, 90, 100];

interface Request {
  readonly destination: string;
  readonly records: number;
  readonly matched: number;
  readonly removal: boolean;
}

function rpcError(reply: FastifyReply, code: number, status: string, message: string, details: unknown[] = []) {
  return reply.code(code).send({ error: { code, status, message, details } });
}

function matchRange(matched: number, records: number): string {
  const percent = records === 0 ? 0 : (100 * matched) / records;
  if (percent < 20) return 'MATCH_RATE_RANGE_LESS_THAN_20';
  const high = RANGES.find((limit) => percent <= limit)!;
  return `MATCH_RATE_RANGE_${high === 30 ? 20 : high - 9}_TO_${high}`;
}

export async function startGoogleContractServer(options: FakeOptions & { assumptions?: Partial<GoogleAssumptions> } = {}): Promise<ContractServer> {
  const assumptions = { ...googleAssumptions, ...options.assumptions };
  const state = new FakePlatform(
    'google',
    options,
    {
      emailAddress: { format: HEX64, spell: gmailStripped, misspellings: emailSpellings, hash: sha256 },
      phoneNumber: { format: HEX64, spell: (p) => p.phone, misspellings: phoneSpellings, hash: sha256 },
    },
    options.minimumSize,
    'USD',
  );
  const jobs = new FakeJobs<Request>(state.pollsToFinish);
  const ads = `/${assumptions.adsApiVersion}/customers`;

  function readMembers(body: Record<string, unknown>) {
    const encoding = body.encoding ?? 'HEX';
    demand(encoding === 'HEX' || encoding === 'BASE64', 'encoding must be HEX or BASE64');
    const members = listOf(body.audienceMembers, 'audienceMembers');
    demand(members.length >= 1 && members.length <= 10_000, `audience_members takes 1 to 10000 members; got ${members.length}`);
    const rejectRow = state.faults.nextRejectedRow();
    const violations: Array<{ index: number; reason: string }> = [];
    const rows: FakeRow[] = members.map((entry, index) => {
      const identifiers = listOf(objectOf(objectOf(objectOf(entry, 'member').userData, 'userData'), 'userData').userIdentifiers, 'userIdentifiers');
      if (identifiers.length < 1 || identifiers.length > 10) violations.push({ index, reason: 'a member has 1 to 10 user identifiers' });
      let person: number | undefined;
      const ids = identifiers.map((raw) => {
        const keys = Object.keys(objectOf(raw, 'user identifier'));
        if (keys.length !== 1) violations.push({ index, reason: 'a user identifier holds exactly one of emailAddress, phoneNumber, address' });
        const type = keys[0] ?? '';
        const value = String((raw as Record<string, unknown>)[type]);
        const hex = encoding === 'HEX' ? value : /^[A-Za-z0-9+/]{43}=$/.test(value) ? Buffer.from(value, 'base64').toString('hex') : '';
        const check = state.population.check(type, hex);
        if (!check.ok) violations.push({ index, reason: check.reason });
        else person ??= check.person;
        return `${type}:${hex}`;
      });
      if (index === rejectRow) violations.push({ index, reason: 'rejected by the test' });
      return { ids, person };
    });
    if (violations.length > 0) throw new ContractViolation('invalid', 'Request contains an invalid argument.', violations);
    return rows;
  }

  function destinationOf(body: Record<string, unknown>) {
    const destinations = listOf(body.destinations, 'destinations');
    demand(destinations.length >= 1 && destinations.length <= 10, 'destinations takes 1 to 10 destinations');
    demand(destinations.length === 1, 'this fake serves one destination per request');
    const destination = objectOf(destinations[0], 'destination');
    const account = objectOf(destination.operatingAccount, 'operatingAccount');
    textOf(account.accountType, 'operatingAccount.accountType');
    textOf(account.accountId, 'operatingAccount.accountId');
    return state.audiences.get(textOf(destination.productDestinationId, 'productDestinationId'));
  }

  return startFakeServer({
    state,
    refresh: true,
    tokenOf: (request) => /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1],
    replies: {
      auth: (reply) => rpcError(reply, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'),
      throttled: (reply) =>
        rpcError(reply, 429, 'RESOURCE_EXHAUSTED', 'Quota exceeded', [
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'RATE_LIMIT_EXCEEDED', domain: 'googleapis.com', metadata: { quota_limit: 'IngestionMutateRequestsPerMinutePerProject' } },
        ]),
      unavailable: (reply) => rpcError(reply, 503, 'UNAVAILABLE', 'The service is currently unavailable.'),
      violation: (reply, violation) =>
        violation.kind === 'not_found'
          ? rpcError(reply, 404, 'NOT_FOUND', violation.message)
          : rpcError(reply, 400, 'INVALID_ARGUMENT', violation.message, [
              { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: violation.rows.map((row) => ({ field: `audience_members[${row.index}].user_data`, description: row.reason })) },
            ]),
    },
    routes(app) {
      app.post('/token', { config: { access: 'none' } }, async (request, reply) => {
        const form = request.body as Record<string, string>;
        demand(form.grant_type === 'refresh_token', 'grant_type must be refresh_token');
        const renewed = state.tokens.refresh(form.refresh_token, form.client_id, form.client_secret);
        if (!renewed) return reply.code(400).send({ error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
        return { access_token: renewed.accessToken, expires_in: 3599, token_type: 'Bearer' };
      });

      for (const [path, removal] of [['/v1/audienceMembers::ingest', false], ['/v1/audienceMembers::remove', true]] as const) {
        app.post(path, async (request) => {
          const body = objectOf(request.body);
          const audience = destinationOf(body);
          if (body.consent !== undefined) for (const value of Object.values(objectOf(body.consent, 'consent'))) demand(CONSENT.has(String(value)), `consent values are ${[...CONSENT].join(', ')}`);
          const rows = readMembers(body);
          if (removal) state.audiences.remove(audience, rows);
          else state.audiences.add(audience, rows);
          const requestId = state.audiences.newId();
          jobs.start(requestId, { destination: audience.id, records: rows.length, matched: new Set(rows.map((row) => row.person).filter((p) => p !== undefined)).size, removal });
          return { requestId };
        });
      }

      app.get('/v1/requestStatus::retrieve', async (request) => {
        const job = jobs.get(textOf((request.query as Record<string, unknown>).requestId, 'requestId'));
        if (!job) throw new ContractViolation('not_found', 'unknown requestId');
        const done = jobs.poll(job);
        const { records, matched, removal } = job.data;
        const counts = { recordCount: String(records), userIdentifierCount: String(records) };
        return {
          requestStatusPerDestination: [
            {
              requestStatus: done ? assumptions.requestStatus.success : assumptions.requestStatus.processing,
              ...(removal
                ? { audienceMembersRemovalStatus: { userDataRemovalStatus: counts } }
                : { audienceMembersIngestionStatus: { userDataIngestionStatus: { ...counts, uploadMatchRateRange: done ? matchRange(matched, records) : 'MATCH_RATE_RANGE_UNKNOWN' } } }),
            },
          ],
        };
      });

      app.post(`${ads}/:call`, async (request, reply) => {
        if (!request.headers['developer-token']) return rpcError(reply, 403, 'PERMISSION_DENIED', 'The developer token is missing.');
        const [customer, method] = (request.params as { call: string }).call.split(':');
        const body = objectOf(request.body);
        demand(method === 'uploadClickConversions', `unknown method ${method}`);
        demand(body.partialFailure === true, 'partialFailure must be true');
        const results: unknown[] = [];
        const errors: unknown[] = [];
        listOf(body.conversions, 'conversions').forEach((entry, index) => {
          const conversion = objectOf(entry, 'conversion');
          demand(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/.test(String(conversion.conversionDateTime)), 'conversionDateTime is yyyy-mm-dd hh:mm:ss+hh:mm');
          demand(String(conversion.conversionAction).startsWith(`customers/${customer}/conversionActions/`), 'conversionAction is a resource name of this customer');
          if (!String(conversion.gclid ?? '').startsWith('gclid-')) {
            results.push({});
            errors.push({ errorCode: { conversionUploadError: 'UNPARSEABLE_GCLID' }, message: 'The gclid could not be decoded.', location: { fieldPathElements: [{ fieldName: 'conversions', index }] } });
            return;
          }
          state.conversions.push({ key: textOf(conversion.orderId, 'orderId'), gclid: conversion.gclid });
          results.push({ gclid: conversion.gclid, conversionAction: conversion.conversionAction, conversionDateTime: conversion.conversionDateTime });
        });
        return { results, ...(errors.length ? { partialFailureError: { code: 3, message: 'partial failure', details: [{ errors }] } } : {}) };
      });

      app.post(`${ads}/:customer/userLists::mutate`, async (request, reply) => {
        if (!request.headers['developer-token']) return rpcError(reply, 403, 'PERMISSION_DENIED', 'The developer token is missing.');
        const create = objectOf(objectOf(listOf(objectOf(request.body).operations, 'operations')[0], 'operation').create, 'create');
        demand(objectOf(create.crmBasedUserList, 'crmBasedUserList').uploadKeyType === 'CONTACT_INFO', 'crmBasedUserList.uploadKeyType must be CONTACT_INFO');
        const audience = state.audiences.create(textOf(create.name, 'name'), []);
        return { results: [{ resourceName: `customers/${(request.params as { customer: string }).customer}/userLists/${audience.id}` }] };
      });

      app.post(`${ads}/:customer/googleAds::searchStream`, async (request, reply) => {
        if (!request.headers['developer-token']) return rpcError(reply, 403, 'PERMISSION_DENIED', 'The developer token is missing.');
        const query = textOf(objectOf(request.body).query, 'query');
        const range = /segments\.date BETWEEN '(\d{4}-\d{2}-\d{2})' AND '(\d{4}-\d{2}-\d{2})'/.exec(query);
        demand(/FROM campaign/.test(query) && range, 'the fake answers campaign queries over a segments.date range');
        const results = fakeCampaignDays(range[1]!, range[2]!).map((day) => ({
          customer: { resourceName: 'customers/1', currencyCode: state.currency },
          campaign: { resourceName: `customers/1/campaigns/${day.campaignId}`, id: day.campaignId, name: day.campaignName },
          segments: { date: day.date },
          metrics: { impressions: String(day.impressions), clicks: String(day.clicks), costMicros: String(day.spendCents * 10_000), conversions: day.conversions },
        }));
        return [{ results: results.slice(0, 4) }, { results: results.slice(4) }];
      });
    },
  });
}

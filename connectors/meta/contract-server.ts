/**
 * Meta's contract (reference §1.3, §2.1, §2.2), enforced on a local fake:
 * - `access_token` parameter; a dead token is code 190 (subcode 463 expired); no refresh exists;
 * - custom audiences: subtype CUSTOM with a customer_file_source; /users POST adds and DELETE
 *   removes ≤10,000 rows whose length matches the schema; EMAIL/PHONE 64 lower-case hex, MADID a
 *   lower-case UUID; invalid rows are counted and sampled, valid ones kept; sessions need a numeric
 *   session_id, batch_seq from 1 and last_batch_flag, and are processed after the last batch;
 *   a removal that would leave fewer than the minimum size is refused ("Audience Size too low");
 * - throttling: code 17 with X-Business-Use-Case-Usage estimated_time_to_regain_access (minutes);
 * - Conversions API: ≤1,000 events, event_time at most 7 days old (62 for physical_store),
 *   hashed user_data, one bad event refuses the whole call;
 * - insights: campaign level, one row per day, spend as decimal text, paged with cursors.
 */
import type { FastifyReply } from 'fastify';
import { isLosslessNumber } from 'lossless-json';
import type { ContractServer } from '../contract-kit/contract-server.ts';
import { ContractViolation, demand } from '../contract-kit/contract-violation.ts';
import type { FakeRow } from '../contract-kit/fake-audiences.ts';
import { fakeCampaignDays } from '../contract-kit/fake-campaigns.ts';
import { FakePlatform, type FakeOptions } from '../contract-kit/fake-platform.ts';
import { emailSpellings, HEX64, phoneSpellings, sha256 } from '../contract-kit/fake-population.ts';
import { idOf, intOf, listOf, objectOf, textOf } from '../contract-kit/request-values.ts';
import { startFakeServer } from '../contract-kit/start-fake-server.ts';
import { metaAssumptions, type MetaAssumptions } from './meta-assumptions.ts';

const UUID_LOWER = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FILE_SOURCES = new Set(['USER_PROVIDED_ONLY', 'PARTNER_PROVIDED_ONLY', 'BOTH_USER_AND_PARTNER_PROVIDED']);
const PAGE_SIZE = 3;

interface Session {
  received: number;
  invalid: number;
  lastSeq: number;
  closed: boolean;
  polls: number;
}

function graphError(reply: FastifyReply, status: number, code: number, message: string, subcode?: number) {
  return reply.code(status).send({ error: { message, type: 'OAuthException', code, ...(subcode ? { error_subcode: subcode } : {}), fbtrace_id: 'AfakeTrace' } });
}

export async function startMetaContractServer(options: FakeOptions & { assumptions?: Partial<MetaAssumptions> } = {}): Promise<ContractServer> {
  const assumptions = { ...metaAssumptions, ...options.assumptions };
  const state = new FakePlatform(
    'meta',
    options,
    {
      EMAIL: { format: HEX64, spell: (p) => p.email, misspellings: emailSpellings, hash: sha256 },
      PHONE: { format: HEX64, spell: (p) => p.phone.slice(1), misspellings: phoneSpellings, hash: sha256 },
      MADID: { format: UUID_LOWER, spell: (p) => p.idfa.toLowerCase(), misspellings: [(p) => p.idfa], hash: (raw) => raw },
    },
    options.minimumSize ?? assumptions.minimumSize,
    'USD',
  );
  const sessions = new Map<string, Session>();
  const version = `/${assumptions.apiVersion}`;

  function readRows(body: Record<string, unknown>) {
    const payload = objectOf(body.payload, 'payload');
    const schema = listOf(payload.schema, 'payload.schema').map((key) => textOf(key, 'schema key'));
    demand(schema.every((key) => state.population.has(key)), `schema keys must be among EMAIL, PHONE, MADID; got ${schema.join(', ')}`);
    const data = listOf(payload.data, 'payload.data');
    if (data.length > 10_000) throw new ContractViolation('too_large', `(#100) at most 10000 rows per call; got ${data.length}`);
    const rejectRow = state.faults.nextRejectedRow();
    const rows: FakeRow[] = [];
    const samples: Record<string, string> = {};
    data.forEach((entry, index) => {
      const row = listOf(entry, `data[${index}]`);
      demand(row.length === schema.length, '(#100) Data is missing or does not match schema');
      let person: number | undefined;
      let bad: string | undefined;
      row.forEach((value, column) => {
        const text = String(value);
        if (text === '') return;
        const check = state.population.check(schema[column]!, text);
        if (!check.ok || index === rejectRow) {
          bad ??= text;
          samples[text] = check.ok ? 'rejected by the test' : check.reason;
        } else person ??= check.person;
      });
      if (row.every((value) => String(value) === '')) demand(false, '(#100) Data is missing or does not match schema');
      if (bad === undefined) rows.push({ ids: row.map((value, column) => `${schema[column]}:${String(value)}`).filter((id) => !id.endsWith(':')), person });
    });
    return { rows, received: data.length, samples };
  }

  function readSession(body: Record<string, unknown>): { id: string; session: Session } {
    const raw = objectOf(body.session, 'session');
    demand(isLosslessNumber(raw.session_id), 'session.session_id must be a number (uint64)');
    const id = idOf(raw.session_id, 'session.session_id');
    demand(BigInt(id) < 2n ** 64n, 'session.session_id must fit in 64 bits');
    const seq = intOf(raw.batch_seq, 'session.batch_seq');
    demand(seq >= 1, 'session.batch_seq starts at 1');
    demand(typeof raw.last_batch_flag === 'boolean', 'session.last_batch_flag must be true or false');
    const session = sessions.get(id) ?? { received: 0, invalid: 0, lastSeq: 0, closed: false, polls: 0 };
    demand(!session.closed || seq <= session.lastSeq, `session ${id} already received its last batch`);
    session.lastSeq = Math.max(session.lastSeq, seq);
    session.closed ||= raw.last_batch_flag;
    sessions.set(id, session);
    return { id, session };
  }

  return startFakeServer({
    state,
    refresh: false,
    tokenOf: (request) => (request.query as Record<string, string | undefined>).access_token,
    replies: {
      auth: (reply, token) => graphError(reply, 400, 190, token === 'expired' ? 'Error validating access token: Session has expired' : 'Invalid OAuth access token', token === 'expired' ? 463 : undefined),
      throttled: (reply, seconds) =>
        graphError(reply.header('x-business-use-case-usage', JSON.stringify({ '1234': [{ type: 'custom_audience', call_count: 100, estimated_time_to_regain_access: Math.ceil(seconds / 60) }] })), 400, 17, 'User request limit reached', 2446079),
      unavailable: (reply) => graphError(reply, 503, 2, 'Service temporarily unavailable'),
      violation: (reply, violation) =>
        violation.kind === 'not_found'
          ? graphError(reply, 400, 100, `Unsupported request: ${violation.message}`, 33)
          : violation.kind === 'too_small'
            ? graphError(reply, 400, assumptions.audienceTooSmall.code, violation.message, assumptions.audienceTooSmall.subcode)
            : graphError(reply, 400, 100, violation.message),
    },
    routes(app) {
      app.post(`${version}/act_:account/customaudiences`, async (request) => {
        const body = objectOf(request.body);
        const name = textOf(body.name, 'name');
        demand(body.subtype === 'CUSTOM', 'subtype must be CUSTOM for a customer file audience');
        demand(FILE_SOURCES.has(String(body.customer_file_source)), 'customer_file_source is required');
        return { id: state.audiences.create(name, []).id };
      });

      const users = async (request: { params: unknown; body: unknown; method: string }) => {
        const audience = state.audiences.get((request.params as { audience: string }).audience);
        const body = objectOf(request.body);
        const { id, session } = readSession(body);
        const { rows, received, samples } = readRows(body);
        if (request.method === 'DELETE') {
          const left = state.audiences.sizeAfterRemoving(audience, rows);
          if (state.minimumSize !== undefined && left < state.minimumSize) throw new ContractViolation('too_small', `Audience Size too low: You cannot remove users from this audience because it will result in a low audience size (${left} < ${state.minimumSize})`);
          state.audiences.remove(audience, rows);
        } else state.audiences.add(audience, rows);
        session.received += received;
        session.invalid += received - rows.length;
        return { audience_id: audience.id, session_id: id, num_received: received, num_invalid_entries: received - rows.length, invalid_entry_samples: samples };
      };
      app.post(`${version}/:audience/users`, users);
      app.delete(`${version}/:audience/users`, users);

      app.get(`${version}/:audience/sessions`, async (request) => {
        const audience = state.audiences.get((request.params as { audience: string }).audience);
        const id = textOf((request.query as Record<string, unknown>).session_id, 'session_id');
        const session = sessions.get(id);
        if (!session) return { data: [] };
        if (session.closed) session.polls++;
        const done = session.closed && session.polls >= state.pollsToFinish;
        return {
          data: [{ session_id: id, stage: done ? assumptions.sessionStages.done : 'processing', num_received: session.received, num_invalid_entries: session.invalid, num_matched: done ? state.audiences.matched(audience) : -1 }],
        };
      });

      app.post(`${version}/:pixel/events`, async (request) => {
        const body = objectOf(request.body);
        const events = listOf(body.data, 'data');
        demand(events.length >= 1 && events.length <= 1000, '(#100) data takes 1 to 1000 events');
        const now = state.now() / 1000;
        const rejectRow = state.faults.nextRejectedRow();
        const read = events.map((entry, index) => {
          demand(index !== rejectRow, `(#100) event ${index} rejected by the test`);
          const event = objectOf(entry, `data[${index}]`);
          const time = intOf(event.event_time, 'event_time');
          const source = textOf(event.action_source, 'action_source');
          const maxAge = (source === 'physical_store' ? 62 : 7) * 86_400;
          demand(time <= now + 60 && now - time <= maxAge, `(#100) event_time of event ${index} is more than ${maxAge / 86_400} days old or in the future`);
          const user = objectOf(event.user_data, 'user_data');
          for (const key of ['em', 'ph']) for (const value of user[key] === undefined ? [] : listOf(user[key], key)) demand(HEX64.test(String(value)), `user_data.${key} must be SHA-256 lower-case hex`);
          return { key: textOf(event.event_id, 'event_id'), name: textOf(event.event_name, 'event_name') };
        });
        state.conversions.push(...read);
        return { events_received: read.length, messages: [], fbtrace_id: 'AfakeTrace' };
      });

      app.get(`${version}/act_:account/insights`, async (request) => {
        const query = request.query as Record<string, string | undefined>;
        demand(query.level === 'campaign' && query.time_increment === '1', 'level=campaign and time_increment=1 are expected');
        const range = JSON.parse(textOf(query.time_range, 'time_range')) as { since?: string; until?: string };
        const all = fakeCampaignDays(textOf(range.since, 'time_range.since'), textOf(range.until, 'time_range.until'));
        const start = query.after === undefined ? 0 : Number(Buffer.from(query.after, 'base64url').toString());
        const page = all.slice(start, start + PAGE_SIZE).map((day) => ({
          campaign_id: day.campaignId,
          campaign_name: day.campaignName,
          date_start: day.date,
          date_stop: day.date,
          impressions: String(day.impressions),
          clicks: String(day.clicks),
          spend: (day.spendCents / 100).toFixed(2),
          account_currency: state.currency,
          actions: [{ action_type: assumptions.conversionActionTypes[0], value: String(day.conversions) }, { action_type: 'link_click', value: String(day.clicks) }],
        }));
        const next = start + PAGE_SIZE < all.length ? Buffer.from(String(start + PAGE_SIZE)).toString('base64url') : undefined;
        return { data: page, paging: next ? { cursors: { after: next } } : {} };
      });
    },
  });
}

/**
 * Amazon Ads AMC audiences contract (reference §1.6, 🟡), enforced on a local fake:
 * - bearer token, Amazon-Advertising-API-ClientID and Content-Type
 *   application/vnd.amcaudiences.v1+json on every call; Login with Amazon refresh at /auth/o2/token;
 * - audienceId and advertiserId are bare JSON numbers (a quoted or rounded one is refused);
 * - audiences/metadata needs name, countryCode, targetResource.advertiserId and
 *   metadata.externalAudienceId; audiences/records takes 1-10,000 records, each with an
 *   externalUserId matching [0-9a-zA-Z-_]{1,128}, CREATE or DELETE, hashedPII of SHA-256 hex, and
 *   userConsent outside the US; a bad record refuses the call (❓ Amazon's envelope);
 * - 429 with Retry-After (❓).
 */
import type { FastifyReply } from 'fastify';
import type { ContractServer } from '../contract-kit/contract-server.ts';
import { ContractViolation, demand } from '../contract-kit/contract-violation.ts';
import type { FakeRow } from '../contract-kit/fake-audiences.ts';
import { FakePlatform, type FakeOptions } from '../contract-kit/fake-platform.ts';
import { HEX64, sha256 } from '../contract-kit/fake-population.ts';
import { bareIdOf, listOf, objectOf, textOf } from '../contract-kit/request-values.ts';
import { startFakeServer } from '../contract-kit/start-fake-server.ts';
import { AMC_AUDIENCES_JSON } from './amazon-client.ts';

const EXTERNAL_USER_ID = /^[0-9a-zA-Z\-_]{1,128}$/;
const GRANT = new Set(['GRANTED', 'DENIED']);

export async function startAmazonContractServer(options: FakeOptions = {}): Promise<ContractServer> {
  const state = new FakePlatform(
    'amazon',
    options,
    {
      email: { format: HEX64, spell: (p) => p.email.replace(/[^a-z0-9.@-]/g, ''), misspellings: [(p) => p.email, (p) => p.email.toUpperCase()], hash: sha256 },
      phone: { format: HEX64, spell: (p) => p.phone.slice(1), misspellings: [(p) => p.phone], hash: sha256 },
    },
    options.minimumSize,
    'USD',
  );
  const fail = (reply: FastifyReply, status: number, message: string) => reply.code(status).send({ code: String(status), message });

  return startFakeServer({
    state,
    refresh: true,
    tokenOf: (request) => /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1],
    checkCall(request) {
      if (request.headers['amazon-advertising-api-clientid'] !== state.tokens.clientId) throw new ContractViolation('invalid', 'Amazon-Advertising-API-ClientID is missing or unknown');
      if (request.method === 'POST' && request.headers['content-type'] !== AMC_AUDIENCES_JSON) throw new ContractViolation('invalid', `Content-Type must be ${AMC_AUDIENCES_JSON}`);
    },
    replies: {
      auth: (reply) => fail(reply, 401, 'Unauthorized'),
      throttled: (reply, seconds) => fail(reply.header('retry-after', String(seconds)), 429, 'Too Many Requests'),
      unavailable: (reply) => fail(reply, 503, 'Service Unavailable'),
      violation: (reply, violation) => fail(reply, violation.kind === 'not_found' ? 404 : 400, violation.message),
    },
    routes(app) {
      app.post('/auth/o2/token', { config: { access: 'none' } }, async (request, reply) => {
        const form = request.body as Record<string, string>;
        const renewed = form.grant_type === 'refresh_token' ? state.tokens.refresh(form.refresh_token, form.client_id, form.client_secret) : undefined;
        if (!renewed) return reply.code(400).send({ error: 'invalid_grant' });
        return { access_token: renewed.accessToken, refresh_token: renewed.refreshToken, token_type: 'bearer', expires_in: 3600 };
      });

      app.post('/amc/audiences/metadata', async (request) => {
        const body = objectOf(request.body);
        const name = textOf(body.name, 'name');
        demand(/^[A-Z]{2}$/.test(String(body.countryCode)), 'countryCode is ISO 3166 alpha-2');
        bareIdOf(objectOf(body.targetResource, 'targetResource').advertiserId, 'targetResource.advertiserId');
        textOf(objectOf(body.metadata, 'metadata').externalAudienceId, 'metadata.externalAudienceId');
        return { audienceId: BigInt(state.audiences.create(name, [], { country: body.countryCode }).id) };
      });

      app.post('/amc/audiences/records', async (request) => {
        const body = objectOf(request.body);
        const audience = state.audiences.get(bareIdOf(body.audienceId, 'audienceId'));
        const records = listOf(body.records, 'records');
        demand(records.length >= 1 && records.length <= 10_000, `records takes 1 to 10000 records; got ${records.length}`);
        const rejectRow = state.faults.nextRejectedRow();
        const creates: FakeRow[] = [];
        const deletes: FakeRow[] = [];
        records.forEach((entry, index) => {
          const record = objectOf(entry, `records[${index}]`);
          demand(index !== rejectRow, `records[${index}] refused by the test`);
          demand(EXTERNAL_USER_ID.test(String(record.externalUserId)), `records[${index}].externalUserId must match ${EXTERNAL_USER_ID}`);
          const country = textOf(record.countryCode, 'countryCode');
          demand(record.action === 'CREATE' || record.action === 'DELETE', 'action is CREATE or DELETE');
          if (country !== 'US') {
            const amzn = objectOf(objectOf(record.userConsent, 'userConsent').amzn, 'userConsent.amzn');
            demand(GRANT.has(String(amzn.amznAdStorage)) && GRANT.has(String(amzn.amznUserData)), 'records outside the US need userConsent.amzn');
          }
          let person: number | undefined;
          const ids = listOf(record.hashedPII, 'hashedPII').flatMap((raw) =>
            Object.entries(objectOf(raw, 'hashedPII entry')).map(([type, value]) => {
              const check = state.population.check(type, String(value));
              demand(check.ok, `records[${index}].hashedPII.${type}: ${check.ok ? '' : check.reason}`);
              person ??= check.person;
              return `${type}:${String(value)}`;
            }),
          );
          (record.action === 'CREATE' ? creates : deletes).push({ ids, person });
        });
        state.audiences.add(audience, creates);
        state.audiences.remove(audience, deletes);
        return { jobRequestId: state.audiences.newId() };
      });
    },
  });
}

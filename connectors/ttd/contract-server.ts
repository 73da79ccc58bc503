/**
 * The Trade Desk CRM Data API contract (reference §1.5, 🟡), enforced on a local fake:
 * - `TTD-Auth` header; 401 for a dead token (no refresh);
 * - crmdata/segment creates a segment; crmdata/segment/{advertiser}/{crmDataId} takes a PiiType
 *   and MergeMode Replace and answers a drop URL; PUT there as text/plain, one SHA-256 base64
 *   value (44 characters) per line; the drop replaces the segment's members;
 * - a drop with a bad line is refused (400, ❓ TTD's envelope), one with fewer records than the
 *   minimum (1,500 in the legacy flow) too;
 * - rate limiting as 429 with Retry-After (❓).
 */
import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { ContractServer } from '../contract-kit/contract-server.ts';
import { ContractViolation, demand } from '../contract-kit/contract-violation.ts';
import type { FakeRow } from '../contract-kit/fake-audiences.ts';
import type { FakePerson } from '../contract-kit/fake-people.ts';
import { FakePlatform, type FakeOptions } from '../contract-kit/fake-platform.ts';
import { emailSpellings, gmailStripped, phoneSpellings } from '../contract-kit/fake-population.ts';
import { objectOf, textOf } from '../contract-kit/request-values.ts';
import { startFakeServer } from '../contract-kit/start-fake-server.ts';
import { ttdAssumptions, type TtdAssumptions } from './ttd-assumptions.ts';

const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/;
const sha256Base64 = (text: string) => createHash('sha256').update(text).digest('base64');

export async function startTtdContractServer(options: FakeOptions & { assumptions?: Partial<TtdAssumptions> } = {}): Promise<ContractServer> {
  const assumptions = { ...ttdAssumptions, ...options.assumptions };
  const state = new FakePlatform(
    'ttd',
    options,
    {
      [assumptions.piiTypes.email]: { format: BASE64_SHA256, spell: gmailStripped, misspellings: emailSpellings, hash: sha256Base64 },
      [assumptions.piiTypes.phone]: { format: BASE64_SHA256, spell: (p: FakePerson) => p.phone, misspellings: phoneSpellings, hash: sha256Base64 },
    },
    options.minimumSize ?? assumptions.minimumRecords,
    'USD',
  );
  const drops = new Map<string, { audienceId: string; type: string }>();
  const fail = (reply: FastifyReply, status: number, message: string) => reply.code(status).send({ Message: message });

  return startFakeServer({
    state,
    refresh: false,
    tokenOf: (request) => request.headers['ttd-auth'] as string | undefined,
    replies: {
      auth: (reply) => fail(reply, 401, 'Authentication failed'),
      throttled: (reply, seconds) => fail(reply.header('retry-after', String(seconds)), 429, 'Too many requests'),
      unavailable: (reply) => fail(reply, 503, 'Service unavailable'),
      violation: (reply, violation) => fail(reply, violation.kind === 'not_found' ? 404 : 400, violation.message),
    },
    routes(app) {
      app.post('/v3/crmdata/segment', async (request) => {
        const body = objectOf(request.body);
        textOf(body[assumptions.createFields.advertiser], assumptions.createFields.advertiser);
        const audience = state.audiences.create(textOf(body[assumptions.createFields.name], assumptions.createFields.name), []);
        return { CrmDataId: audience.id, FirstPartyDataId: state.audiences.newId() };
      });

      app.post('/v3/crmdata/segment/:advertiser/:crmDataId', async (request) => {
        const audience = state.audiences.get((request.params as { crmDataId: string }).crmDataId);
        const body = objectOf(request.body);
        const type = textOf(body.PiiType, 'PiiType');
        demand(state.population.has(type), `PiiType ${type} is not one this fake takes`);
        demand(body.MergeMode === 'Replace', 'MergeMode must be Replace');
        const reference = state.audiences.newId();
        drops.set(reference, { audienceId: audience.id, type });
        const { protocol, host } = { protocol: request.protocol, host: request.host };
        return { ReferenceId: reference, Url: `${protocol}://${host}/drops/${reference}` };
      });

      app.put('/drops/:reference', { config: { access: 'open' } }, async (request) => {
        const drop = drops.get((request.params as { reference: string }).reference);
        if (!drop) throw new ContractViolation('not_found', 'unknown drop');
        demand(request.headers['content-type']?.startsWith('text/plain'), 'a drop is text/plain');
        const rejectRow = state.faults.nextRejectedRow();
        const rows: FakeRow[] = String(request.body)
          .split('\n')
          .filter((line) => line !== '')
          .map((line, index) => {
            const check = state.population.check(drop.type, line);
            demand(check.ok && index !== rejectRow, `line ${index + 1}: ${check.ok ? 'refused by the test' : check.reason}`);
            return { ids: [`${drop.type}:${line}`], person: check.person };
          });
        if (rows.length < state.minimumSize!) throw new ContractViolation('too_small', `a drop needs at least ${state.minimumSize} records; this has ${rows.length}`);
        const audience = state.audiences.get(drop.audienceId);
        audience.rows.clear();
        state.audiences.add(audience, rows);
        drops.delete((request.params as { reference: string }).reference);
        return '';
      });
    },
  });
}

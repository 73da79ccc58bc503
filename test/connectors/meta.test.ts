import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../core/identifiers/identifier-hashes.ts';
import type { ContractServer } from '../../connectors/contract-kit/contract-server.ts';
import { fakePerson } from '../../connectors/contract-kit/fake-people.ts';
import { startMetaContractServer } from '../../connectors/meta/contract-server.ts';
import { metaAudiences } from '../../connectors/meta/meta-audiences.ts';
import { metaConversions } from '../../connectors/meta/meta-conversions.ts';
import { metaReports } from '../../connectors/meta/meta-reports.ts';
import { describeConformance, memberOf, memoryCredentials } from './conformance.ts';

describeConformance('meta', {
  connector: metaAudiences({ minimumSize: 4 }),
  start: (options) => startMetaContractServer(options),
  accountId: '1234567890',
  idTypes: ['EMAIL', 'PHONE'],
  // Meta hashes the lower-case address.
  misspelled: (person) => ({ type: 'EMAIL', value: sha256Hex(person.email.toUpperCase()), prehashed: false }),
  conversions: { sender: metaConversions(), target: '998877665544' },
  reports: metaReports(),
});

describe('meta specifics', () => {
  let server: ContractServer;
  beforeEach(async () => {
    server = await startMetaContractServer();
  });
  afterEach(() => server.close());
  const ctx = () => ({ accountId: '1234567890', credentials: memoryCredentials(server.credentials), baseUrl: server.url });

  it('refuses a phone hashed with its "+" at the fake, where Meta would silently not match it', async () => {
    const connector = metaAudiences();
    const { audience } = await connector.createAudience(ctx(), { name: 'phones', idTypes: ['PHONE'], reference: 'r' });
    const person = fakePerson(3);
    const outcome = await connector.upload(ctx(), audience, {
      op: 'add',
      members: [{ key: 'k', ids: [{ type: 'PHONE', value: sha256Hex(person.phone), prehashed: true }] }],
      session: { id: 's', seq: 1, last: true },
    });
    expect(outcome.rejected).toEqual([{ index: 0, reason: expect.stringContaining('spelled the way this platform does not take') }]);
  });

  it('reads the wait from X-Business-Use-Case-Usage, in whole minutes', async () => {
    server.limitRate({ calls: 0, windowSeconds: 30 });
    const error = await metaAudiences().createAudience(ctx(), { name: 'x', idTypes: ['EMAIL'], reference: 'r' }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ACCORD_ERR_PLATFORM_THROTTLED', platformCode: '17/2446079', retryAfterMs: 60_000 });
  });

  it('sets aside conversions older than the action source allows before sending', async () => {
    const eightDaysAgo = new Date(Date.now() - 8 * 86_400_000).toISOString();
    const event = { id: 'e1', name: 'purchase' as const, occurredAt: eightDaysAgo, user: memberOf(fakePerson(1)) };
    expect(await metaConversions({ actionSource: 'website' }).send(ctx(), 'pixel', [event])).toEqual({ sent: 0, rejected: [{ index: 0, reason: expect.stringContaining('7 days') }] });
    expect(await metaConversions().send(ctx(), 'pixel', [event])).toEqual({ sent: 1, rejected: [] });
    expect(server.state.conversions).toEqual([{ key: 'e1', name: 'Purchase' }]);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../core/identifiers/identifier-hashes.ts';
import type { ContractServer } from '../../connectors/contract-kit/contract-server.ts';
import { amazonAudiences } from '../../connectors/amazon/amazon-audiences.ts';
import { startAmazonContractServer } from '../../connectors/amazon/contract-server.ts';
import { describeConformance, memoryCredentials } from './conformance.ts';

describeConformance('amazon', {
  connector: amazonAudiences(),
  start: (options) => startAmazonContractServer(options),
  accountId: '9223372036854775801',
  idTypes: ['email', 'phone'],
  country: 'DE',
  // Amazon keeps only [a-z0-9.@-] of the lower-case address.
  misspelled: (person) => ({ type: 'email', value: sha256Hex(person.email.toUpperCase()), prehashed: false }),
});

describe('amazon specifics', () => {
  let server: ContractServer;
  beforeEach(async () => {
    server = await startAmazonContractServer();
  });
  afterEach(() => server.close());

  it('refuses to create an audience without a country', async () => {
    const ctx = { accountId: '9223372036854775801', credentials: memoryCredentials(server.credentials), baseUrl: server.url };
    await expect(amazonAudiences().createAudience(ctx, { name: 'x', idTypes: ['email'], reference: 'r' })).rejects.toMatchObject({ code: 'ACCORD_ERR_PLATFORM_REFUSED' });
  });

  it('has a quoted audienceId refused by the fake (it must stay an exact number)', async () => {
    const response = await fetch(`${server.url}/amc/audiences/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.credentials.accessToken}`, 'amazon-advertising-api-clientid': server.credentials.clientId!, 'content-type': 'application/vnd.amcaudiences.v1+json' },
      body: '{"audienceId":"9007199254740993","records":[]}',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ message: expect.stringContaining('must be a JSON number') });
  });
});

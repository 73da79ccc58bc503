import { describe, expect, it } from 'vitest';
import { md5Hex } from '../../core/identifiers/identifier-hashes.ts';
import { startKuaishouContractServer } from '../../connectors/kuaishou/contract-server.ts';
import { kuaishouAudiences } from '../../connectors/kuaishou/kuaishou-audiences.ts';
import { kuaishouConversions } from '../../connectors/kuaishou/kuaishou-conversions.ts';
import { kuaishouReports } from '../../connectors/kuaishou/kuaishou-reports.ts';
import { describeConformance, memoryCredentials } from './conformance.ts';

describeConformance('kuaishou', {
  connector: kuaishouAudiences(),
  start: (options) => startKuaishouContractServer(options),
  accountId: '9007199254740997',
  idTypes: ['PHONE_MD5'],
  // Kuaishou hashes the 11-digit number, not E.164 without "+".
  misspelled: (person) => ({ type: 'PHONE_MD5', value: md5Hex(person.phone.slice(1)), prehashed: false }),
  errorIn200: { code: 401000, becomes: 'ACCORD_ERR_PLATFORM_REFUSED' },
  conversions: { sender: kuaishouConversions(), target: '' },
  reports: kuaishouReports(),
});

describe('kuaishou specifics', () => {
  it('refuses populations of more than one id type before calling', async () => {
    const server = await startKuaishouContractServer();
    try {
      const ctx = { accountId: '1', credentials: memoryCredentials(server.credentials), baseUrl: server.url };
      const error = await kuaishouAudiences()
        .createAudience(ctx, { name: 'two', idTypes: ['PHONE_MD5', 'IMEI_MD5'], reference: 'r' }, { op: 'add', members: [], session: { id: 's', seq: 1, last: true } })
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'ACCORD_ERR_PLATFORM_REFUSED' });
      expect(server.state.audiences.find(() => true)).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});

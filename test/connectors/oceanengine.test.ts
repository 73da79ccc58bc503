import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../core/identifiers/identifier-hashes.ts';
import type { ContractServer } from '../../connectors/contract-kit/contract-server.ts';
import { fakePeople } from '../../connectors/contract-kit/fake-people.ts';
import { startOceanEngineContractServer } from '../../connectors/oceanengine/contract-server.ts';
import { decodeDmpLine, encodeDmpLine } from '../../connectors/oceanengine/oceanengine-dmp-data.ts';
import { oceanEngineAudiences } from '../../connectors/oceanengine/oceanengine-audiences.ts';
import { oceanEngineConversions } from '../../connectors/oceanengine/oceanengine-conversions.ts';
import { oceanEngineReports } from '../../connectors/oceanengine/oceanengine-reports.ts';
import { describeConformance, memberOf, memoryCredentials } from './conformance.ts';

describeConformance('oceanengine', {
  connector: oceanEngineAudiences(),
  start: (options) => startOceanEngineContractServer(options),
  accountId: '1700000000000001',
  idTypes: ['MOBILE_HASH_SHA256'],
  // Ocean Engine hashes the 11-digit number, not E.164.
  misspelled: (person) => ({ type: 'MOBILE_HASH_SHA256', value: sha256Hex(person.phone), prehashed: false }),
  errorIn200: { code: 40002, becomes: 'ACCORD_ERR_PLATFORM_REFUSED' },
  conversions: { sender: oceanEngineConversions(), target: '' },
  reports: oceanEngineReports(),
});

describe('oceanengine specifics', () => {
  let server: ContractServer;
  beforeEach(async () => {
    server = await startOceanEngineContractServer();
  });
  afterEach(() => server.close());

  it('round-trips DmpData lines through proto2', () => {
    const ids = [
      { dataType: 6, id: 'a'.repeat(64) },
      { dataType: 4, id: 'b'.repeat(32) },
    ];
    expect(decodeDmpLine(encodeDmpLine(ids))).toEqual(ids);
  });

  it('publishes and pushes a parsed data source, after which it can be targeted', async () => {
    const connector = oceanEngineAudiences();
    const ctx = { accountId: '1700000000000001', credentials: memoryCredentials(server.credentials), baseUrl: server.url };
    const types = ['MOBILE_HASH_SHA256', 'IMEI_MD5', 'IDFA_MD5', 'OAID_MD5'];
    const members = fakePeople(6).flatMap((person) => {
      const prepared = connector.identifiers.prepare(memberOf(person), types);
      return prepared.ok ? [prepared.member] : [];
    });
    const { audience } = await connector.createAudience(ctx, { name: '抖音-会员复购人群-2026年春季大促活动专用名单', idTypes: types, reference: 'r' }, { op: 'add', members, session: { id: 's', seq: 1, last: true } });
    await expect(connector.finalize!(ctx, audience)).rejects.toMatchObject({ code: 'ACCORD_ERR_PLATFORM_REFUSED' });
    expect(await connector.status!(ctx, audience, audience.id)).toMatchObject({ state: 'succeeded', matched: 6 });
    await connector.finalize!(ctx, audience);
    expect(server.state.audiences.find((a) => a.id === audience.id)!.extra).toMatchObject({ published: true, pushed: true });
  });
});

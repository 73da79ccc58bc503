import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { md5Hex } from '../../core/identifiers/identifier-hashes.ts';
import type { ContractServer } from '../../connectors/contract-kit/contract-server.ts';
import { startTencentContractServer } from '../../connectors/tencent/contract-server.ts';
import { tencentAudiences } from '../../connectors/tencent/tencent-audiences.ts';
import { tencentConversions } from '../../connectors/tencent/tencent-conversions.ts';
import { tencentReports } from '../../connectors/tencent/tencent-reports.ts';
import { describeConformance, memoryCredentials } from './conformance.ts';

describeConformance('tencent', {
  connector: tencentAudiences(),
  start: (options) => startTencentContractServer(options),
  accountId: '9007199254740993',
  idTypes: ['HASH_MOBILE_PHONE'],
  // Tencent hashes the 11-digit number, not E.164.
  misspelled: (person) => ({ type: 'HASH_MOBILE_PHONE', value: md5Hex(person.phone), prehashed: false }),
  errorIn200: { code: 31060, becomes: 'ACCORD_ERR_PLATFORM_REFUSED' },
  conversions: { sender: tencentConversions(), target: '1100' },
  reports: tencentReports(),
});

describe('tencent specifics', () => {
  let server: ContractServer;
  beforeEach(async () => {
    server = await startTencentContractServer();
  });
  afterEach(() => server.close());
  const ctx = () => ({ accountId: '123', credentials: memoryCredentials(server.credentials), baseUrl: server.url });
  const spec = { name: '会员复购人群-2026春季大促-高价值', idTypes: ['HASH_MOBILE_PHONE'], reference: 'outer-1' };

  it('creates idempotently by outer_audience_id and cuts the name to 32 bytes', async () => {
    const first = await tencentAudiences().createAudience(ctx(), spec);
    const again = await tencentAudiences().createAudience(ctx(), spec);
    expect(again.audience.id).toBe(first.audience.id);
    expect(Buffer.byteLength(server.state.audiences.find((a) => a.id === first.audience.id)!.name)).toBeLessThanOrEqual(32);
  });

  it('signs calls with a timestamp the platform checks against its clock', async () => {
    const error = await tencentAudiences({ now: () => Date.now() - 301_000 }).createAudience(ctx(), spec).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ACCORD_ERR_PLATFORM_REFUSED', httpStatus: 200 });
  });

  it('classifies quota and system codes inside HTTP 200 as retryable', async () => {
    server.inject({ kind: 'error_in_200', code: 11017 });
    expect(await tencentAudiences().createAudience(ctx(), spec).catch((caught: unknown) => caught)).toMatchObject({ code: 'ACCORD_ERR_PLATFORM_THROTTLED', retryAfterMs: 60_000 });
    server.inject({ kind: 'error_in_200', code: 30012 });
    expect(await tencentAudiences().createAudience(ctx(), spec).catch((caught: unknown) => caught)).toMatchObject({ code: 'ACCORD_ERR_PLATFORM_UNAVAILABLE', retryable: true });
  });
});

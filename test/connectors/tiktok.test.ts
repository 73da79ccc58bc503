import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../core/identifiers/identifier-hashes.ts';
import { fakePerson } from '../../connectors/contract-kit/fake-people.ts';
import { startTikTokContractServer } from '../../connectors/tiktok/contract-server.ts';
import { tiktokConversions } from '../../connectors/tiktok/tiktok-conversions.ts';
import { tiktokFileAudiences } from '../../connectors/tiktok/tiktok-file-audiences.ts';
import { tiktokReports } from '../../connectors/tiktok/tiktok-reports.ts';
import { tiktokSegmentAudiences } from '../../connectors/tiktok/tiktok-segment-audiences.ts';
import { tiktokIdentifiers } from '../../connectors/tiktok/tiktok-identifiers.ts';
import { describeConformance } from './conformance.ts';

const common = {
  start: startTikTokContractServer,
  accountId: '7000000000000000001',
  idTypes: ['EMAIL_SHA256'],
  misspelled: (person: { email: string }) => ({ type: 'EMAIL_SHA256', value: sha256Hex(person.email.toUpperCase()), prehashed: false }),
  errorIn200: { code: 40002, becomes: 'ACCORD_ERR_PLATFORM_REFUSED' as const },
};

describeConformance('tiktok segment', {
  ...common,
  connector: tiktokSegmentAudiences(),
  conversions: { sender: tiktokConversions(), target: 'OFFLINE_SET_1' },
  reports: tiktokReports(),
});

describeConformance('tiktok customer file', { ...common, connector: tiktokFileAudiences({ minimumSize: 4 }) });

describe('tiktok identifiers', () => {
  it('hash phones in E.164 with "+"', () => {
    const person = fakePerson(3);
    const prepared = tiktokIdentifiers.prepare({ key: 'k', identifiers: [{ type: 'phone', value: person.phone.slice(3), region: 'CN' }] }, ['PHONE_SHA256']);
    expect(prepared.ok && prepared.member.ids[0]!.value).toBe(sha256Hex(person.phone));
  });
});

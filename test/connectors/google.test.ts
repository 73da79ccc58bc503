import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../core/identifiers/identifier-hashes.ts';
import { startGoogleContractServer } from '../../connectors/google/contract-server.ts';
import { googleAudiences } from '../../connectors/google/google-audiences.ts';
import { googleConversions } from '../../connectors/google/google-conversions.ts';
import { googleMatchRate } from '../../connectors/google/google-match-rate.ts';
import { googleReports } from '../../connectors/google/google-reports.ts';
import { describeConformance } from './conformance.ts';

const developerToken = 'dev-token';

describeConformance('google', {
  connector: googleAudiences({ developerToken }),
  start: (options) => startGoogleContractServer(options),
  accountId: '1234567890',
  idTypes: ['emailAddress', 'phoneNumber'],
  misspelled: (person) => ({ type: 'emailAddress', value: sha256Hex(person.email.toUpperCase()), prehashed: false }),
  conversions: { sender: googleConversions({ developerToken }), target: '555' },
  reports: googleReports({ developerToken }),
});

describe('google specifics', () => {
  it('reads match-rate ranges as fractions', () => {
    expect(googleMatchRate('MATCH_RATE_RANGE_20_TO_30')).toEqual({ low: 0.2, high: 0.3 });
    expect(googleMatchRate('MATCH_RATE_RANGE_LESS_THAN_20')).toEqual({ low: 0, high: 0.2 });
    expect(googleMatchRate('MATCH_RATE_RANGE_UNKNOWN')).toBeUndefined();
  });
});

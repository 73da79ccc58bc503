import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fakePerson } from '../../connectors/contract-kit/fake-people.ts';
import { startTtdContractServer } from '../../connectors/ttd/contract-server.ts';
import { ttdAudiences } from '../../connectors/ttd/ttd-audiences.ts';
import { ttdIdentifiers } from '../../connectors/ttd/ttd-identifiers.ts';
import { ttdAssumptions } from '../../connectors/ttd/ttd-assumptions.ts';
import { describeConformance } from './conformance.ts';

const base64Sha256 = (text: string) => createHash('sha256').update(text).digest('base64');

describeConformance('ttd', {
  connector: ttdAudiences({ minimumRecords: 4 }),
  start: (options) => startTtdContractServer(options),
  accountId: 'adv1234',
  idTypes: ['EmailHashedUnifiedId2'],
  // UID2 hashes Gmail addresses without dots and +tag; person 30 is not on Gmail, so upper case is the mistake.
  misspelled: (person) => ({ type: 'EmailHashedUnifiedId2', value: base64Sha256(person.email.toUpperCase()), prehashed: false }),
});

describe('ttd identifiers', () => {
  it('hash UID2-normalised emails to base64, and re-encode a declared hex SHA-256', () => {
    const gmail = fakePerson(0).email;
    const profile = ttdIdentifiers(ttdAssumptions);
    const raw = profile.prepare({ key: 'k', identifiers: [{ type: 'email', value: gmail }] }, ['EmailHashedUnifiedId2']);
    expect(raw.ok && raw.member.ids[0]!.value).toBe(base64Sha256('fan0@gmail.com'));
    const hex = createHash('sha256').update('someone@example.com').digest('hex');
    const declared = profile.prepare({ key: 'k', identifiers: [{ type: 'email_sha256', value: hex.toUpperCase() }] }, ['EmailHashedUnifiedId2']);
    expect(declared.ok && declared.member.ids[0]).toEqual({ type: 'EmailHashedUnifiedId2', value: base64Sha256('someone@example.com'), prehashed: true });
  });
});

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chainLink, firstBrokenLink, GENESIS_LINK, type ChainedRecord } from '../../crypto/hash-chain.ts';

const bytes = (text: string) => new TextEncoder().encode(text);

function chain(records: string[]): ChainedRecord[] {
  let previous = GENESIS_LINK;
  return records.map((text) => {
    const link = chainLink(previous, bytes(text));
    previous = link;
    return { record: bytes(text), link };
  });
}

describe('hash chain', () => {
  it('is SHA-256 over the domain tag, the previous link and the record', () => {
    const expected = createHash('sha256').update('accord/hash-chain/v1\0').update(Buffer.alloc(32)).update('grant').digest();
    expect(Buffer.from(chainLink(GENESIS_LINK, bytes('grant')))).toEqual(expected);
  });

  it('verifies an intact chain', () => {
    expect(firstBrokenLink(chain(['a', 'b', 'c', 'd']))).toBeUndefined();
    expect(firstBrokenLink([])).toBeUndefined();
  });

  it('names the first altered, removed, inserted or reordered record', () => {
    const intact = chain(['given', 'withdrawn', 'given', 'expired']);
    const altered = intact.map((entry, i) => (i === 2 ? { ...entry, record: bytes('refused') } : entry));
    expect(firstBrokenLink(altered)).toBe(2);
    expect(firstBrokenLink([intact[0]!, intact[2]!, intact[3]!])).toBe(1);
    expect(firstBrokenLink([intact[0]!, intact[1]!, { record: bytes('x'), link: intact[2]!.link }, ...intact.slice(2)])).toBe(2);
    expect(firstBrokenLink([intact[1]!, intact[0]!])).toBe(0);
    expect(firstBrokenLink(intact.map((entry, i) => (i === 3 ? { ...entry, link: entry.link.subarray(0, 31) } : entry)))).toBe(3);
  });

  it('refuses a previous link of the wrong length', () => {
    expect(() => chainLink(new Uint8Array(31), bytes('x'))).toThrow(RangeError);
  });
});

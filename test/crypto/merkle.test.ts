import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  inclusionProof,
  leafHash,
  MERKLE_HASH_BYTES,
  nodeHash,
  rootHash,
  verifyConsistency,
  verifyInclusion,
} from '../../crypto/merkle.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const unhex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));
const hexes = (list: readonly Uint8Array[]) => list.map(hex);

// ---------------------------------------------------------------------------------------------
// Published test vectors (values only), from github.com/transparency-dev/merkle:
//   testonly/constants.go  — LeafInputs, NodeHashes, RootHashes, EmptyRootHash
//   proof/verify_test.go   — inclusionProofs, consistencyProofs (there `leaf` is 1-based; the
//                            indices below are 0-based, i.e. their value minus one)
//   proof/proof_test.go    — proof shapes as node IDs (level, index) in the 7/8-leaf example tree,
//                            resolved here against NodeHashes
//   rfc6962/rfc6962_test.go — the "L123456" leaf hash
// The same leaves, roots and proofs appear in google/certificate-transparency-go and the C++
// google/certificate-transparency merkletree tests.
// ---------------------------------------------------------------------------------------------

const LEAF_INPUTS = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];

/** NODE_HASHES[level][index]: every complete subtree of the 8-leaf tree. */
const NODE_HASHES = [
  [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
    '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
    '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
  ],
  [
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  ],
  ['d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'],
  ['5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'],
] as const;

/** ROOT_HASHES[size] for the trees over the first `size` leaves. */
const ROOT_HASHES = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

const INCLUSION_VECTORS: { index: number; size: number; proof: string[] }[] = [
  { index: 0, size: 1, proof: [] },
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];

const CONSISTENCY_VECTORS: { oldSize: number; newSize: number; proof: string[] }[] = [
  { oldSize: 1, newSize: 1, proof: [] },
  {
    oldSize: 1,
    newSize: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    oldSize: 6,
    newSize: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    oldSize: 2,
    newSize: 5,
    proof: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'],
  },
  {
    oldSize: 6,
    newSize: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

type NodeId = readonly [level: 0 | 1 | 2 | 3, index: number];
const node = ([level, index]: NodeId): string => NODE_HASHES[level][index] as string;

/** proof/proof_test.go TestInclusion cases without rehashed (incomplete) nodes. */
const INCLUSION_SHAPES: { size: number; index: number; nodes: NodeId[] }[] = [
  { size: 1, index: 0, nodes: [] },
  { size: 2, index: 0, nodes: [[0, 1]] },
  { size: 2, index: 1, nodes: [[0, 0]] },
  { size: 3, index: 1, nodes: [[0, 0], [0, 2]] },
  { size: 7, index: 4, nodes: [[0, 5], [0, 6], [2, 0]] },
  { size: 7, index: 5, nodes: [[0, 4], [0, 6], [2, 0]] },
  { size: 7, index: 6, nodes: [[1, 2], [2, 0]] },
  { size: 4, index: 2, nodes: [[0, 3], [1, 0]] },
  { size: 5, index: 3, nodes: [[0, 2], [1, 0], [0, 4]] },
  { size: 6, index: 3, nodes: [[0, 2], [1, 0], [1, 2]] },
  { size: 6, index: 4, nodes: [[0, 5], [2, 0]] },
];

/** proof/proof_test.go TestConsistency cases without rehashed (incomplete) nodes. */
const CONSISTENCY_SHAPES: { oldSize: number; newSize: number; nodes: NodeId[] }[] = [
  { oldSize: 1, newSize: 2, nodes: [[0, 1]] },
  { oldSize: 1, newSize: 4, nodes: [[0, 1], [1, 1]] },
  { oldSize: 1, newSize: 6, nodes: [[0, 1], [1, 1], [1, 2]] },
  { oldSize: 2, newSize: 3, nodes: [[0, 2]] },
  { oldSize: 2, newSize: 8, nodes: [[1, 1], [2, 1]] },
  { oldSize: 5, newSize: 7, nodes: [[0, 4], [0, 5], [0, 6], [2, 0]] },
  { oldSize: 6, newSize: 7, nodes: [[1, 2], [0, 6], [2, 0]] },
  { oldSize: 7, newSize: 8, nodes: [[0, 6], [0, 7], [1, 2], [2, 0]] },
  ...[1, 2, 3, 4, 5, 7, 8].map((size) => ({ oldSize: size, newSize: size, nodes: [] })),
  { oldSize: 2, newSize: 4, nodes: [[1, 1]] },
  { oldSize: 3, newSize: 5, nodes: [[0, 2], [0, 3], [1, 0], [0, 4]] },
  { oldSize: 3, newSize: 6, nodes: [[0, 2], [0, 3], [1, 0], [1, 2]] },
  { oldSize: 4, newSize: 6, nodes: [[1, 2]] },
];

const LEAVES = LEAF_INPUTS.map((input) => leafHash(unhex(input)));
const rootOf = (size: number) => unhex(ROOT_HASHES[size] as string);

// ---------------------------------------------------------------------------------------------
// A deliberately naive transcription of the RFC 6962 §2.1 / RFC 9162 §2.1 recursive definitions,
// used to check the iterative producers on trees larger than the published ones.
// ---------------------------------------------------------------------------------------------

function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function referenceRoot(d: Uint8Array[]): Uint8Array {
  if (d.length === 0) return unhex(ROOT_HASHES[0] as string);
  if (d.length === 1) return d[0] as Uint8Array;
  const k = splitPoint(d.length);
  return nodeHash(referenceRoot(d.slice(0, k)), referenceRoot(d.slice(k)));
}

function referencePath(m: number, d: Uint8Array[]): Uint8Array[] {
  if (d.length === 1) return [];
  const k = splitPoint(d.length);
  return m < k
    ? [...referencePath(m, d.slice(0, k)), referenceRoot(d.slice(k))]
    : [...referencePath(m - k, d.slice(k)), referenceRoot(d.slice(0, k))];
}

function referenceSubproof(m: number, d: Uint8Array[], complete: boolean): Uint8Array[] {
  if (m === d.length) return complete ? [] : [referenceRoot(d)];
  const k = splitPoint(d.length);
  return m <= k
    ? [...referenceSubproof(m, d.slice(0, k), complete), referenceRoot(d.slice(k))]
    : [...referenceSubproof(m - k, d.slice(k), false), referenceRoot(d.slice(0, k))];
}

const flipBit = (proof: Uint8Array[], i: number, mask = 0x08) =>
  proof.map((element, j) => (j === i ? element.map((byte, b) => (b === 0 ? byte ^ mask : byte)) : element));

const SOME_HASH = unhex('abacaba000000000000000000000000000000000000000000060061e00123456');
const EMPTY_ROOT = unhex(ROOT_HASHES[0] as string);

describe('merkle hashing', () => {
  it('matches the published leaf, node and empty-tree hashes', () => {
    expect(hex(leafHash(new Uint8Array(0)))).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
    expect(hex(leafHash(new TextEncoder().encode('L123456')))).toBe('395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56');
    expect(hexes(LEAVES)).toEqual(NODE_HASHES[0]);
    for (let level = 1; level < NODE_HASHES.length; level++) {
      const below = NODE_HASHES[level - 1] as readonly string[];
      (NODE_HASHES[level] as readonly string[]).forEach((expected, i) => {
        expect(hex(nodeHash(unhex(below[2 * i] as string), unhex(below[2 * i + 1] as string)))).toBe(expected);
      });
    }
    expect(hex(rootHash([]))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('computes the published roots for every size from 0 to 8', () => {
    for (let size = 0; size <= 8; size++) expect(hex(rootHash(LEAVES.slice(0, size))), `size ${size}`).toBe(ROOT_HASHES[size]);
  });

  it('refuses node children and leaf hashes that are not 32 bytes', () => {
    const h = LEAVES[0] as Uint8Array;
    expect(() => nodeHash(h, new Uint8Array(31))).toThrow(RangeError);
    expect(() => nodeHash(new Uint8Array(33), h)).toThrow(RangeError);
    expect(() => rootHash([h, new Uint8Array(0)])).toThrow(RangeError);
    expect(() => inclusionProof([h, h.subarray(1)], 0)).toThrow(RangeError);
    expect(() => consistencyProof([h, new Uint8Array(64)], 1, 2)).toThrow(RangeError);
  });

  it('never hands back the caller’s own leaf array', () => {
    const [a, b] = LEAVES as [Uint8Array, Uint8Array];
    const root = rootHash([a]);
    expect(root).not.toBe(a);
    expect(hex(root)).toBe(hex(a));
    expect(inclusionProof([a, b], 0)[0]).not.toBe(b);
    expect(consistencyProof([a, b], 1, 2)[0]).not.toBe(b);
  });

  it('matches a direct transcription of the RFC definition of MTH up to 40 leaves', () => {
    const leaves = Array.from({ length: 40 }, (_, i) => leafHash(Uint8Array.of(i)));
    for (let size = 0; size <= 40; size++) {
      expect(hex(rootHash(leaves.slice(0, size))), `size ${size}`).toBe(hex(referenceRoot(leaves.slice(0, size))));
    }
  });

  it('computes the root of 1,000,000 leaves, agreeing with a level-by-level reduction', () => {
    const leaves = Array.from({ length: 1_000_000 }, (_, i) => leafHash(Uint8Array.of(i >>> 24, i >>> 16, i >>> 8, i)));
    const root = rootHash(leaves);
    // RFC 6962's tree equals pairing neighbours level by level and carrying an odd last node up.
    let level = leaves;
    while (level.length > 1) {
      const next: Uint8Array[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i] as Uint8Array, level[i + 1] as Uint8Array));
      if (level.length % 2 === 1) next.push(level[level.length - 1] as Uint8Array);
      level = next;
    }
    expect(hex(root)).toBe(hex(level[0] as Uint8Array));
  });
});

describe('inclusion proofs', () => {
  it('produce and verify the published proofs', () => {
    for (const { index, size, proof } of INCLUSION_VECTORS) {
      const label = `leaf ${index} of ${size}`;
      expect(hexes(inclusionProof(LEAVES.slice(0, size), index)), label).toEqual(proof);
      expect(verifyInclusion(LEAVES[index] as Uint8Array, index, size, proof.map(unhex), rootOf(size)), label).toBe(true);
    }
    for (const { index, size, nodes } of INCLUSION_SHAPES) {
      const expected = nodes.map(node);
      expect(hexes(inclusionProof(LEAVES.slice(0, size), index)), `leaf ${index} of ${size}`).toEqual(expected);
      expect(verifyInclusion(LEAVES[index] as Uint8Array, index, size, expected.map(unhex), rootOf(size))).toBe(true);
    }
  });

  it('match the RFC definition and verify for every leaf of every tree up to 40 leaves', () => {
    const leaves = Array.from({ length: 80 }, (_, i) => leafHash(Uint8Array.of(0xaa, i)));
    // Roots of the other sizes too: a wrong size is only a forgery when paired with that size's root
    // (see 'a root does not commit to its size').
    const roots = Array.from({ length: 81 }, (_, size) => rootHash(leaves.slice(0, size)));
    for (let size = 1; size <= 40; size++) {
      const tree = leaves.slice(0, size);
      const root = roots[size] as Uint8Array;
      for (let index = 0; index < size; index++) {
        const proof = inclusionProof(tree, index);
        const leaf = tree[index] as Uint8Array;
        const label = `leaf ${index} of ${size}`;
        expect(hexes(proof), label).toEqual(hexes(referencePath(index, tree)));
        expect(verifyInclusion(leaf, index, size, proof, root), label).toBe(true);

        const forged: [string, boolean][] = [
          ['index - 1', verifyInclusion(leaf, index - 1, size, proof, root)],
          ['index + 1', verifyInclusion(leaf, index + 1, size, proof, root)],
          ['index ^ 2', verifyInclusion(leaf, index ^ 2, size, proof, root)],
          ['size - 1', verifyInclusion(leaf, index, size - 1, proof, roots[size - 1] as Uint8Array)],
          ['size + 1', verifyInclusion(leaf, index, size + 1, proof, roots[size + 1] as Uint8Array)],
          ['size * 2', verifyInclusion(leaf, index, size * 2, proof, roots[size * 2] as Uint8Array)],
          ['size / 2', verifyInclusion(leaf, index, Math.floor(size / 2), proof, roots[Math.floor(size / 2)] as Uint8Array)],
          ['other leaf', verifyInclusion(leafHash(Uint8Array.of(0xbb, index)), index, size, proof, root)],
          ['root bit flipped', verifyInclusion(leaf, index, size, proof, flipBit([root], 0)[0] as Uint8Array)],
          ['empty-tree root', verifyInclusion(leaf, index, size, proof, EMPTY_ROOT)],
          ['random root', verifyInclusion(leaf, index, size, proof, SOME_HASH)],
          ['trailing root', verifyInclusion(leaf, index, size, [...proof, root], root)],
          ['preceding root', verifyInclusion(leaf, index, size, [root, ...proof], root)],
          ['trailing garbage', verifyInclusion(leaf, index, size, [...proof, new Uint8Array(0)], root)],
          ['preceding garbage', verifyInclusion(leaf, index, size, [new Uint8Array(0), ...proof], root)],
        ];
        if (proof.length > 0) forged.push(['removed component', verifyInclusion(leaf, index, size, proof.slice(0, -1), root)]);
        if (proof.length > 1) {
          forged.push(['inserted component', verifyInclusion(leaf, index, size, [proof[0] as Uint8Array, SOME_HASH, ...proof.slice(1)], root)]);
        }
        proof.forEach((_, i) => forged.push([`proof[${i}] bit flipped`, verifyInclusion(leaf, index, size, flipBit(proof, i), root)]));
        expect(forged.filter(([, accepted]) => accepted).map(([what]) => what), label).toEqual([]);
      }
    }
  });

  it('a root does not commit to its size: the size must come from the same checkpoint as the root', () => {
    // Inherent to RFC 6962/9162 (the transparency-dev verifier behaves the same): the proof for leaf 0
    // of 3 is [b, c], and a verifier told "size 4" reads c as the root of leaves 2..3 and reaches the
    // same root. Against the real size-4 root, or any other checkpoint's root, it fails.
    const proof = inclusionProof(LEAVES.slice(0, 3), 0);
    expect(verifyInclusion(LEAVES[0] as Uint8Array, 0, 4, proof, rootOf(3))).toBe(true);
    expect(verifyInclusion(LEAVES[0] as Uint8Array, 0, 4, proof, rootOf(4))).toBe(false);
    expect(verifyConsistency(1, 4, rootOf(1), rootOf(3), consistencyProof(LEAVES, 1, 3))).toBe(true);
    expect(verifyConsistency(1, 4, rootOf(1), rootOf(4), consistencyProof(LEAVES, 1, 3))).toBe(false);
  });

  it('refuses to produce a proof for an index outside the tree', () => {
    for (const index of [-1, 8, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => inclusionProof(LEAVES, index)).toThrow(RangeError);
    expect(() => inclusionProof([], 0)).toThrow(RangeError);
  });

  it('reject malformed input without throwing', () => {
    const leaf = LEAVES[0] as Uint8Array;
    const proof = INCLUSION_VECTORS[1]!.proof.map(unhex);
    const root = rootOf(8);
    expect(verifyInclusion(leaf, 0, 8, proof, root)).toBe(true);
    const junk: unknown[][] = [
      [leaf.subarray(1), 0, 8, proof, root],
      [new Uint8Array(0), 0, 8, proof, root],
      [leaf, 0, 8, proof, root.subarray(0, 31)],
      [leaf, 0, 8, proof, new Uint8Array(0)],
      [leaf, 0, 8, [proof[0], proof[1], proof[2]!.subarray(0, 16)], root],
      [leaf, 0, 8, [proof[0], null, proof[2]], root],
      [leaf, 0, 8, [proof[0], 'not bytes', proof[2]], root],
      [leaf, 0, 8, [], root],
      [leaf, 0, 8, null, root],
      [leaf, 0, 8, 'proof', root],
      [leaf, 0, 8, Array.from({ length: 10_000 }, () => leaf), root],
      [null, 0, 8, proof, root],
      [leaf, 0, 8, proof, undefined],
      [leaf, -1, 8, proof, root],
      [leaf, 8, 8, proof, root],
      [leaf, 0.5, 8, proof, root],
      [leaf, Number.NaN, 8, proof, root],
      [leaf, 0, Number.POSITIVE_INFINITY, proof, root],
      [leaf, 0, 2 ** 60, proof, root],
      [leaf, 0, -8, proof, root],
      [leaf, '0', 8, proof, root],
      [leaf, 0, '8', proof, root],
      [leaf, 0, 0, [], EMPTY_ROOT],
      [leaf, 1, 0, [], EMPTY_ROOT],
    ];
    for (const args of junk) {
      const call = () => (verifyInclusion as (...a: unknown[]) => boolean)(...args);
      expect(call).not.toThrow();
      expect(call()).toBe(false);
    }
  });
});

describe('consistency proofs', () => {
  it('produce and verify the published proofs', () => {
    for (const { oldSize, newSize, proof } of CONSISTENCY_VECTORS) {
      const label = `${oldSize} -> ${newSize}`;
      expect(hexes(consistencyProof(LEAVES, oldSize, newSize)), label).toEqual(proof);
      expect(verifyConsistency(oldSize, newSize, rootOf(oldSize), rootOf(newSize), proof.map(unhex)), label).toBe(true);
    }
    for (const { oldSize, newSize, nodes } of CONSISTENCY_SHAPES) {
      const expected = nodes.map(node);
      expect(hexes(consistencyProof(LEAVES, oldSize, newSize)), `${oldSize} -> ${newSize}`).toEqual(expected);
      expect(verifyConsistency(oldSize, newSize, rootOf(oldSize), rootOf(newSize), expected.map(unhex))).toBe(true);
    }
  });

  it('match the RFC definition and verify for every pair of sizes up to 40 leaves', () => {
    const leaves = Array.from({ length: 80 }, (_, i) => leafHash(Uint8Array.of(0xcc, i)));
    const roots = Array.from({ length: 81 }, (_, size) => rootHash(leaves.slice(0, size)));
    for (let newSize = 0; newSize <= 40; newSize++) {
      for (let oldSize = 0; oldSize <= newSize; oldSize++) {
        const proof = consistencyProof(leaves, oldSize, newSize);
        const [oldRoot, newRoot] = [roots[oldSize] as Uint8Array, roots[newSize] as Uint8Array];
        const label = `${oldSize} -> ${newSize}`;
        const expected = oldSize === 0 || oldSize === newSize ? [] : referenceSubproof(oldSize, leaves.slice(0, newSize), true);
        expect(hexes(proof), label).toEqual(hexes(expected));
        expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof), label).toBe(true);
        if (oldSize === 0 || oldSize === newSize) continue;

        const forged: [string, boolean][] = [
          ['old size - 1', verifyConsistency(oldSize - 1, newSize, oldRoot, newRoot, proof)],
          ['old size + 1', verifyConsistency(oldSize + 1, newSize, oldRoot, newRoot, proof)],
          ['old size ^ 2', verifyConsistency(oldSize ^ 2, newSize, oldRoot, newRoot, proof)],
          ['new size - 1', verifyConsistency(oldSize, newSize - 1, oldRoot, roots[newSize - 1] as Uint8Array, proof)],
          ['new size + 1', verifyConsistency(oldSize, newSize + 1, oldRoot, roots[newSize + 1] as Uint8Array, proof)],
          ['new size * 2', verifyConsistency(oldSize, newSize * 2, oldRoot, roots[newSize * 2] as Uint8Array, proof)],
          ['new size / 2', verifyConsistency(oldSize, Math.floor(newSize / 2), oldRoot, roots[Math.floor(newSize / 2)] as Uint8Array, proof)],
          ['old size - 1 with its root', verifyConsistency(oldSize - 1, newSize, roots[oldSize - 1] as Uint8Array, newRoot, proof)],
          ['old size + 1 with its root', verifyConsistency(oldSize + 1, newSize, roots[oldSize + 1] as Uint8Array, newRoot, proof)],
          ['old root bit flipped', verifyConsistency(oldSize, newSize, flipBit([oldRoot], 0)[0] as Uint8Array, newRoot, proof)],
          ['new root bit flipped', verifyConsistency(oldSize, newSize, oldRoot, flipBit([newRoot], 0)[0] as Uint8Array, proof)],
          ['swapped roots', verifyConsistency(oldSize, newSize, newRoot, oldRoot, proof)],
          ['empty proof', verifyConsistency(oldSize, newSize, oldRoot, newRoot, [])],
          ['truncated proof', verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof.slice(0, -1))],
          ['trailing old root', verifyConsistency(oldSize, newSize, oldRoot, newRoot, [...proof, oldRoot])],
          ['trailing new root', verifyConsistency(oldSize, newSize, oldRoot, newRoot, [...proof, newRoot])],
          ['trailing garbage', verifyConsistency(oldSize, newSize, oldRoot, newRoot, [...proof, new Uint8Array(0)])],
          ['preceding old root', verifyConsistency(oldSize, newSize, oldRoot, newRoot, [oldRoot, ...proof])],
          ['preceding new root', verifyConsistency(oldSize, newSize, oldRoot, newRoot, [newRoot, ...proof])],
          ['preceding proof[0]', verifyConsistency(oldSize, newSize, oldRoot, newRoot, [proof[0] as Uint8Array, ...proof])],
          ['preceding garbage', verifyConsistency(oldSize, newSize, oldRoot, newRoot, [new Uint8Array(0), ...proof])],
        ];
        proof.forEach((_, i) => forged.push([`proof[${i}] bit flipped`, verifyConsistency(oldSize, newSize, oldRoot, newRoot, flipBit(proof, i, 0x10))]));
        expect(forged.filter(([, accepted]) => accepted).map(([what]) => what), label).toEqual([]);
      }
    }
  });

  it('accept the trivial cases only with an empty proof and matching roots', () => {
    const [r1, r2] = [rootOf(1), rootOf(2)];
    expect(verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])).toBe(true);
    expect(verifyConsistency(0, 5, EMPTY_ROOT, rootOf(5), [])).toBe(true);
    expect(verifyConsistency(3, 3, rootOf(3), rootOf(3), [])).toBe(true);
    // An empty old tree has exactly one root; equal sizes need equal roots.
    expect(verifyConsistency(0, 5, SOME_HASH, rootOf(5), [])).toBe(false);
    expect(verifyConsistency(0, 0, EMPTY_ROOT, SOME_HASH, [])).toBe(false);
    expect(verifyConsistency(1, 1, r1, r2, [])).toBe(false);
    // Trivial cases carry no proof.
    expect(verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])).toBe(false);
    expect(verifyConsistency(0, 1, EMPTY_ROOT, r1, [EMPTY_ROOT])).toBe(false);
    expect(verifyConsistency(1, 1, r1, r1, [r1])).toBe(false);
    // Growing needs a proof; shrinking is never consistent.
    expect(verifyConsistency(1, 2, r1, r2, [])).toBe(false);
    expect(verifyConsistency(2, 1, r2, r1, [LEAVES[1] as Uint8Array])).toBe(false);
  });

  it('refuse to produce a proof for impossible sizes', () => {
    for (const [oldSize, newSize] of [
      [2, 1],
      [0, 9],
      [-1, 4],
      [1, 1.5],
      [0.5, 2],
      [Number.NaN, 3],
    ] as const) {
      expect(() => consistencyProof(LEAVES, oldSize, newSize), `${oldSize} -> ${newSize}`).toThrow(RangeError);
    }
  });

  it('reject malformed input without throwing', () => {
    const proof = CONSISTENCY_VECTORS[2]!.proof.map(unhex);
    const [r6, r8] = [rootOf(6), rootOf(8)];
    expect(verifyConsistency(6, 8, r6, r8, proof)).toBe(true);
    const junk: unknown[][] = [
      [6, 8, r6.subarray(1), r8, proof],
      [6, 8, r6, new Uint8Array(0), proof],
      [6, 8, null, r8, proof],
      [6, 8, r6, 'root', proof],
      [6, 8, r6, r8, [proof[0], proof[1]!.subarray(0, 31), proof[2]]],
      [6, 8, r6, r8, [proof[0], undefined, proof[2]]],
      [6, 8, r6, r8, [42, proof[1], proof[2]]],
      [6, 8, r6, r8, null],
      [6, 8, r6, r8, { length: 3 }],
      [6, 8, r6, r8, Array.from({ length: 10_000 }, () => r6)],
      [-6, 8, r6, r8, proof],
      [6, -8, r6, r8, proof],
      [6.5, 8, r6, r8, proof],
      [6, Number.NaN, r6, r8, proof],
      [6, Number.POSITIVE_INFINITY, r6, r8, proof],
      [6, 2 ** 60, r6, r8, proof],
      ['6', 8, r6, r8, proof],
      [8, 6, r8, r6, proof],
    ];
    for (const args of junk) {
      const call = () => (verifyConsistency as (...a: unknown[]) => boolean)(...args);
      expect(call).not.toThrow();
      expect(call()).toBe(false);
    }
  });
});

it('uses 32-byte hashes throughout', () => {
  expect(MERKLE_HASH_BYTES).toBe(32);
  expect(leafHash(new Uint8Array(1000)).length).toBe(MERKLE_HASH_BYTES);
});

/**
 * Merkle tree hashing for an append-only log, as in RFC 6962 §2.1 and RFC 9162 §2.1 (Certificate
 * Transparency): leaf = SHA-256(0x00 ‖ data), node = SHA-256(0x01 ‖ left ‖ right), empty tree =
 * SHA-256(""), with inclusion and consistency proofs and their verifiers (RFC 9162 §2.1.3.2, §2.1.4.2).
 * Guarantee: a root commits to the exact ordered leaves; an inclusion proof shows one leaf hash sits at
 * an index of the tree with a given root, and a consistency proof shows an older root is a prefix of a
 * newer one, so a log cannot rewrite history behind a signed checkpoint without being caught.
 * Known weakness: a root does not commit to its tree size (a proof for size 3 can also check out as
 * size 4 against the same root), so size and root must be taken together from one signed checkpoint;
 * a log showing different checkpoints to different parties (a split view) is caught only when they
 * compare notes. Producers keep every leaf hash in memory and rehash O(n) per proof; sizes < 2^53.
 */
import { sha256 } from '@noble/hashes/sha2.js';

export const MERKLE_HASH_BYTES = 32;

// Distinct prefixes for leaves and interior nodes: without them, the concatenation of two child
// hashes could be presented as a leaf and yield the same root (a second preimage).
const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;
const EMPTY_ROOT = sha256(new Uint8Array(0));

export function leafHash(data: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + data.length);
  input[0] = LEAF_PREFIX;
  input.set(data, 1);
  return sha256(input);
}

/** Children must be hashes: anything else is a caller bug, not a tree. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== MERKLE_HASH_BYTES || right.length !== MERKLE_HASH_BYTES) {
    throw new RangeError(`Merkle child hashes must be ${MERKLE_HASH_BYTES} bytes`);
  }
  return hashChildren(left, right);
}

/** MTH(D[n]) of RFC 6962 §2.1 over leaf hashes (not leaf data). */
export function rootHash(leafHashes: readonly Uint8Array[]): Uint8Array {
  checkLeafHashes(leafHashes);
  if (leafHashes.length === 0) return EMPTY_ROOT.slice();
  return subtreeRoot(leafHashes, 0, leafHashes.length);
}

/** PATH(index, D[n]) of RFC 9162 §2.1.3.1, bottom-up, for the tree of all `leafHashes`. */
export function inclusionProof(leafHashes: readonly Uint8Array[], index: number): Uint8Array[] {
  checkLeafHashes(leafHashes);
  if (!Number.isSafeInteger(index) || index < 0 || index >= leafHashes.length) {
    throw new RangeError(`leaf index must be an integer in [0, ${leafHashes.length})`);
  }
  // The RFC's recursion, unrolled top-down: each step keeps the side holding the leaf and records
  // the other side's root. Siblings are collected root-first, so the proof is their reverse.
  const siblings: Uint8Array[] = [];
  let lo = 0;
  let hi = leafHashes.length;
  while (hi - lo > 1) {
    const split = lo + largestPowerOfTwoBelow(hi - lo);
    if (index < split) {
      siblings.push(subtreeRoot(leafHashes, split, hi));
      hi = split;
    } else {
      siblings.push(subtreeRoot(leafHashes, lo, split));
      lo = split;
    }
  }
  return siblings.reverse();
}

/**
 * PROOF(oldSize, D[newSize]) of RFC 9162 §2.1.4.1 over the first `newSize` leaf hashes. Empty when
 * oldSize is 0 or equals newSize: those trees are consistent with no proof at all.
 */
export function consistencyProof(leafHashes: readonly Uint8Array[], oldSize: number, newSize: number): Uint8Array[] {
  checkLeafHashes(leafHashes);
  if (!Number.isSafeInteger(newSize) || newSize < 0 || newSize > leafHashes.length) {
    throw new RangeError(`new tree size must be an integer in [0, ${leafHashes.length}]`);
  }
  if (!Number.isSafeInteger(oldSize) || oldSize < 0 || oldSize > newSize) {
    throw new RangeError(`old tree size must be an integer in [0, ${newSize}]`);
  }
  if (oldSize === 0 || oldSize === newSize) return [];
  // SUBPROOF(m, D[lo:hi], complete) unrolled: every step appends one root after the recursive part,
  // so the roots are collected outermost-first and reversed at the end.
  const nodes: Uint8Array[] = [];
  let lo = 0;
  let hi = newSize;
  let m = oldSize;
  let complete = true;
  for (;;) {
    const size = hi - lo;
    if (m === size) {
      // When the old tree is itself this subtree and still whole, the verifier already has its root.
      if (!complete) nodes.push(subtreeRoot(leafHashes, lo, hi));
      break;
    }
    const k = largestPowerOfTwoBelow(size);
    if (m <= k) {
      nodes.push(subtreeRoot(leafHashes, lo + k, hi));
      hi = lo + k;
    } else {
      nodes.push(subtreeRoot(leafHashes, lo, lo + k));
      lo += k;
      m -= k;
      complete = false;
    }
  }
  return nodes.reverse();
}

/**
 * RFC 9162 §2.1.3.2. False for any malformed input; never throws on attacker-controlled values.
 * `treeSize` and `root` must come from the same signed checkpoint: the root alone does not fix the size.
 */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isHash(leaf) || !isHash(root) || !Array.isArray(proof)) return false;
  if (!Number.isSafeInteger(treeSize) || !Number.isSafeInteger(index) || index < 0 || index >= treeSize) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r = leaf;
  const path = proof as readonly unknown[];
  for (let i = 0; i < path.length; i++) {
    const p = path[i];
    // A proof longer than the path to the root is rejected rather than partly ignored.
    if (sn === 0 || !isHash(p)) return false;
    if (isOdd(fn) || fn === sn) {
      r = hashChildren(p, r);
      // On the tree's right edge a node has no sibling at some levels: climb past them.
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && bytesEqual(r, root);
}

/**
 * RFC 9162 §2.1.4.2. False for any malformed input; never throws on attacker-controlled values.
 * Each size must come from the same signed checkpoint as its root. The RFC algorithm covers
 * 0 < oldSize < newSize; the edges are handled first: equal sizes need equal roots and an empty proof,
 * and an empty old tree must carry the empty-tree root (a checkpoint of size 0 that claims another
 * root is not a checkpoint of this log).
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!isHash(oldRoot) || !isHash(newRoot) || !Array.isArray(proof)) return false;
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0 || oldSize > newSize) return false;
  if (oldSize === 0) return proof.length === 0 && bytesEqual(oldRoot, EMPTY_ROOT) && (newSize > 0 || bytesEqual(newRoot, EMPTY_ROOT));
  if (oldSize === newSize) return proof.length === 0 && bytesEqual(oldRoot, newRoot);
  if (proof.length === 0) return false;

  const path = proof as readonly unknown[];
  // When the old tree is a complete subtree of the new one, its root is the proof's implicit first node.
  let next = 0;
  const first = isPowerOfTwo(oldSize) ? oldRoot : path[next++];
  if (!isHash(first)) return false;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = first;
  let sr = first;
  for (; next < path.length; next++) {
    const c = path[next];
    if (sn === 0 || !isHash(c)) return false;
    if (isOdd(fn) || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && bytesEqual(fr, oldRoot) && bytesEqual(sr, newRoot);
}

function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + 2 * MERKLE_HASH_BYTES);
  input[0] = NODE_PREFIX;
  input.set(left, 1);
  input.set(right, 1 + MERKLE_HASH_BYTES);
  return sha256(input);
}

/**
 * MTH(D[lo:hi]) for hi > lo, in one pass with O(log n) memory: a stack of the complete subtrees seen
 * so far (one per set bit of the count), merged as they pair up, then folded right to left, which is
 * exactly RFC 6962's left-balanced split. Never returns a caller's leaf hash itself, so no proof or
 * root aliases the caller's array.
 */
function subtreeRoot(leafHashes: readonly Uint8Array[], lo: number, hi: number): Uint8Array {
  const stack: Uint8Array[] = [];
  for (let i = lo; i < hi; i++) {
    let node = leafHashes[i] as Uint8Array;
    for (let count = i - lo + 1; count % 2 === 0; count /= 2) {
      node = hashChildren(stack.pop() as Uint8Array, node);
    }
    stack.push(node);
  }
  let root = stack.pop() as Uint8Array;
  if (hi - lo === 1) return root.slice();
  while (stack.length > 0) root = hashChildren(stack.pop() as Uint8Array, root);
  return root;
}

function checkLeafHashes(leafHashes: readonly Uint8Array[]): void {
  if (!Array.isArray(leafHashes)) throw new RangeError('leaf hashes must be an array');
  for (let i = 0; i < leafHashes.length; i++) {
    if (!isHash(leafHashes[i])) throw new RangeError(`leaf hash ${i} must be ${MERKLE_HASH_BYTES} bytes`);
  }
}

function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === MERKLE_HASH_BYTES;
}

// Sizes go up to 2^53 - 1, beyond the 32 bits JavaScript's bitwise operators work on, hence arithmetic.
function isOdd(n: number): boolean {
  return n % 2 === 1;
}

function half(n: number): number {
  return Math.floor(n / 2);
}

function isPowerOfTwo(n: number): boolean {
  while (n > 1 && n % 2 === 0) n /= 2;
  return n === 1;
}

/** The k of RFC 6962: the largest power of two strictly below n, for n >= 2. */
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// Roots and proofs are public, so an early-exit comparison leaks nothing worth protecting.
function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

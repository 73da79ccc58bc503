/**
 * The server's side of a run whose client may learn only the count (psi-protocol.ts, step 3): the
 * server computes the count itself, as the party that does not benefit from it. It publishes
 * W = (Σ H(s)^b)^r for each identifier type, checks the set the client returns against it (every
 * element of its own set back exactly once, blinded by one common scalar: the protocol header says
 * why that bounds what one person can move), and counts matches against the client's elements,
 * which it keeps and never serves. Its input holds one element per person and type, so one of its
 * people moves the count by at most the number of types.
 */
import { COMPARE_BYTES, matchIndices, truncate, TruncatedSet } from '../../crypto/psi/compare.ts';
import type { PsiEngine } from '../../crypto/psi/psi-engine.ts';
import { ELEMENT_BYTES } from '../../crypto/psi/suites.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { PsiInputSet } from './psi-input.ts';
import { PsiRunError } from './psi-run-error.ts';
import { openRunKey, sealRunKey } from './psi-run-key.ts';
import { loadStream, storeFrames, unpackPersons } from './psi-run-frames.ts';
import type { PsiRun } from './psi-runs.ts';

const sumKeyPurpose = (idType: string) => `sum:${idType}`;

/** Each person's first element (lowest identifier id: the input is ordered by person, then identifier). */
export function firstPerPerson(set: PsiInputSet): PsiInputSet {
  const keep: number[] = [];
  for (let i = 0; i < set.personIds.length; i++) if (i === 0 || set.personIds[i] !== set.personIds[i - 1]) keep.push(i);
  if (keep.length === set.personIds.length) return set;
  const digests = new Uint8Array(keep.length * ELEMENT_BYTES);
  keep.forEach((from, to) => digests.set(set.digests.subarray(from * ELEMENT_BYTES, (from + 1) * ELEMENT_BYTES), to * ELEMENT_BYTES));
  return { idType: set.idType, personIds: Float64Array.from(keep, (i) => set.personIds[i]!), digests };
}

/** Publishes W = (Σ H(s)^b)^r for a type's blinded set and keeps r sealed with the run; nothing for an empty set. */
export async function publishSetSum(trx: TenantTransaction, masterKey: Uint8Array, engine: PsiEngine, runId: string, idType: string, blinded: Uint8Array): Promise<void> {
  if (blinded.length === 0) {
    await storeFrames(trx, runId, idType, 'server-sum', blinded, ELEMENT_BYTES);
    return;
  }
  const r = engine.newKey();
  try {
    await storeFrames(trx, runId, idType, 'server-sum', await engine.reblind(await engine.sum(blinded), r), ELEMENT_BYTES);
    await storeFrames(trx, runId, idType, 'sum-key', sealRunKey(masterKey, engine, r, trx.tenantId, runId, sumKeyPurpose(idType)), 1);
  } finally {
    r.destroy();
  }
}

const refuse = (detail: string): never => {
  throw new PsiRunError('ACCORD_ERR_PSI_RETURN_REFUSED', detail);
};

/** The returned set of a type, whole, against V = W^a: distinct, valid, and summing to V^(1/r). */
export async function checkReturnedSet(trx: TenantTransaction, masterKey: Uint8Array, engine: PsiEngine, run: PsiRun, idType: string, v: Uint8Array): Promise<void> {
  const returned = await loadStream(trx, run.id, idType, 'server-double-full');
  const count = returned.length / ELEMENT_BYTES;
  if (count === 0) {
    if (v.length !== 0) refuse(`an empty ${idType} set has no sum`);
    return;
  }
  if (v.length !== ELEMENT_BYTES) refuse(`the sum of the returned ${idType} set is one element`);
  if (TruncatedSet.from(truncate(returned, ELEMENT_BYTES)).size !== count) refuse(`the returned ${idType} set repeats an element`);
  const sum = await engine.sum(returned);
  const sealed = await loadStream(trx, run.id, idType, 'sum-key');
  const r = openRunKey(masterKey, engine, sealed, trx.tenantId, run.id, sumKeyPurpose(idType));
  let expected: Uint8Array;
  try {
    expected = await engine.unblind(v, r);
  } finally {
    r.destroy();
  }
  if (Buffer.compare(sum, expected) !== 0) refuse(`the returned ${idType} set is not this server's set blinded once more, each element once`);
}

/**
 * The count where the server computes it. In the server's order (the server may learn its matched
 * people): the people whose elements came back matching, each on the first type in priority order.
 * In the client's own order: the client's positions matched on any type (the client aligns its types
 * by person), without knowing whose they are.
 */
export async function countReturned(trx: TenantTransaction, run: PsiRun): Promise<{ total: number; matched?: Map<number, string> }> {
  if (run.server_learns_members) {
    const matched = await matchedServerPersons(trx, run, 'server-double-full');
    return { total: matched.size, matched };
  }
  const positions = new Set<number>();
  for (const idType of run.id_types) {
    const returned = TruncatedSet.from(truncate(await loadStream(trx, run.id, idType, 'server-double-full'), ELEMENT_BYTES));
    for (const position of matchIndices(await loadStream(trx, run.id, idType, 'client-double'), returned)) positions.add(position);
  }
  return { total: positions.size };
}

/** The server's people whose returned elements match the client's, each on the first type in priority order. */
export async function matchedServerPersons(trx: TenantTransaction, run: PsiRun, stream: 'server-double' | 'server-double-full'): Promise<Map<number, string>> {
  const matched = new Map<number, string>();
  for (const idType of run.id_types) {
    const clientDouble = TruncatedSet.from(await loadStream(trx, run.id, idType, 'client-double'));
    const loaded = await loadStream(trx, run.id, idType, stream);
    const returned = stream === 'server-double' ? loaded : truncate(loaded, ELEMENT_BYTES);
    const persons = unpackPersons(await loadStream(trx, run.id, idType, 'server-persons'));
    if (returned.length / COMPARE_BYTES !== persons.length) refuse(`the client returned ${returned.length / COMPARE_BYTES} of ${persons.length} elements for ${idType}`);
    for (const index of matchIndices(returned, clientDouble)) {
      const person = persons[index]!;
      if (!matched.has(person)) matched.set(person, idType);
    }
  }
  return matched;
}

/**
 * The PSI run protocol between two parties, as both ends see it. The client (the party that starts
 * the run: a node's job or `accord psi join`) drives; the server (a node) answers:
 *
 *   1. client → server  start {run, collaboration, id types, declared sizes}; the server admits the
 *      run through its guard and blinds its own consented set once (H(s)^b), sorted.
 *   2. client → server  for every identifier type, in the collaboration's priority order, its whole
 *                       set blinded once, H(c)^a (frames of `client-blinded`); the server blinds it
 *                       again and keeps H(c)^ab. A set is complete only when it holds what was
 *                       declared (less a tolerance the terms name), at least the terms' minimum, and
 *                       no element twice; no frame of the final comparison is served, and no count
 *                       computed, before every type's set is complete.
 *   3. the final comparison, by who may learn what:
 *      - the client may learn which of its people matched: it fetches H(s)^b and re-blinds it, and
 *        fetches its own H(c)^ab in its own order (`client-double`; in the OPRF modes H(c)^ab whole,
 *        with a Golomb-coded set or payloads of the server's); it computes the intersection and its
 *        own guard releases the count, which it reports. When the server may learn its own matched
 *        people too, the client returns H(s)^ba truncations in the server's order (`server-double`).
 *      - the client may learn only the count (ristretto255 only): the server computes and releases
 *        it, as the party that does not benefit from it. It publishes W = (Σ H(s)^b)^r with a fresh
 *        secret r (`server-sum`); the client returns H(s)^ba whole (`server-double-full`) — in the
 *        server's order when the server may learn its matched people, in its own (sorted) order
 *        otherwise — and V = W^a (`server-double-sum`). The server keeps H(c)^ab to itself.
 *   4. client → server  finish (or fail). Where the client computed the count, it says what its guard
 *      released; where the server computes it, the server checks the returned sets, counts, releases
 *      the count through its own guard with noise it draws itself, and answers with that release.
 *      Each side writes its processing record; keys and intermediate sets are erased.
 *
 * Why the returned set is checked by its sum (our own reasoning, not taken from a source): a length
 * check alone does not stop a modified client from turning one target into many matches. It sends
 * H(t)^{a·m} for m = 1..k and returns k variants H(s)^{b·a·m} of a random n/k of the server's
 * elements: n elements, all distinct and valid, and k matches when the target is among the n/k, so
 * one person moves the count by k, and a noise calibrated for 1 hides it only with δ ≈ 1/k. The
 * server therefore checks Σ returned = V^(1/r). The client knows W but not r, so it can only give a
 * V matching a sum it knows as a multiple of Σ H(s)^b; with exactly n elements and no relation among
 * the H(s)^b known to it, that forces every server element to come back exactly once, all raised to
 * one common scalar c. A server element then matches at most one of the client's (distinct)
 * elements per type, so one server person, kept with one element per type, moves the server's count
 * by at most the number of types: the sensitivity the noise is calibrated for.
 *
 * Every frame is signed by its sender's node key and bound to collaboration, run, kind, suite, id
 * type and sequence (crypto/psi/frame.ts); the HTTP requests carrying them are signed too.
 */
import { z } from 'zod';
import { withheldReasons } from '../guard/release-counts.ts';

export { COMPARE_BYTES } from '../../crypto/psi/compare.ts';

const count = z.number().int().min(0);

/** A guard's decision on a run's counts, as the deciding party tells the other (core/guard/release-counts.ts). */
export const countsDecision = z.discriminatedUnion('released', [
  z
    .object({
      released: z.literal(true),
      total: count,
      byIdType: z.record(z.string(), count).nullable(),
      cells: z.array(z.object({ key: z.string(), count }).strict()).nullable(),
      noise: z.object({ epsilon: z.number().positive() }).strict().nullable(),
    })
    .strict(),
  z.object({ released: z.literal(false), reason: z.enum(withheldReasons) }).strict(),
]);

export const startRunBody = z
  .object({
    runId: z.uuid(),
    collaborationId: z.uuid(),
    idTypes: z.array(z.string().min(1).max(40)).min(1).max(8),
    declared: z.record(z.string(), z.number().int().min(0)),
    /** unbalanced: the server answers from a set it blinded once per key epoch (ristretto255 only). */
    mode: z.enum(['balanced', 'unbalanced']).default('balanced'),
  })
  .strict();
export type StartRunBody = z.infer<typeof startRunBody>;

export const serverRunView = z.object({
  runId: z.uuid(),
  status: z.enum(['preparing', 'ready', 'running', 'finished', 'failed']),
  /** payload when the collaboration enriches the brand with the partner's tags. */
  mode: z.enum(['balanced', 'unbalanced', 'payload']),
  /** The run id (or key epoch id, unbalanced) the OPRF tags and payload keys are bound to. */
  tagContext: z.uuid(),
  error: z.string().nullable(),
  clientLearnsMembers: z.boolean(),
  serverLearnsMembers: z.boolean(),
  types: z.record(
    z.string(),
    z.object({
      /** Frames of what the server publishes of its own set (blinded elements, a GCS, or payload entries). */
      serverFrames: z.number().int(),
      /** Frames of the client's blinded set received so far (the next sequence number). */
      clientFramesReceived: z.number().int(),
      clientComplete: z.boolean(),
      /** Frames of the returned server set received so far (`server-double` or `server-double-full`). */
      serverDoubleReceived: z.number().int(),
      /** Where the server counts: the returned set and its sum arrived and passed the sum check. */
      returnChecked: z.boolean(),
    }),
  ),
  /** Where the server computes the count: its guard's decision, once the run is finished. */
  release: countsDecision.nullable(),
});
export type ServerRunView = z.infer<typeof serverRunView>;

export const finishRunBody = z
  .object({
    /**
     * Where the client computed the count: its own guard's decision (noised unless the terms are
     * exact), so the server records the same release and spends the same ε; the server never hears a
     * raw count. Where the server computes the count: null.
     */
    decision: countsDecision.nullable(),
  })
  .strict();
export type FinishRunBody = z.infer<typeof finishRunBody>;

export const failRunBody = z.object({ reason: z.string().min(1).max(500) }).strict();

/** Streams a client may send and fetch. */
export const clientSendStreams = ['client-blinded', 'server-double', 'server-double-full', 'server-double-sum'] as const;
export const clientFetchStreams = ['server-blinded', 'server-sum', 'client-double', 'client-double-full', 'server-gcs', 'server-payload'] as const;
export type ClientSendStream = (typeof clientSendStreams)[number];
export type ClientFetchStream = (typeof clientFetchStreams)[number];

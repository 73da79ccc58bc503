/**
 * The PSI run protocol between two parties, as both ends see it. The client (the party that starts
 * the run: a node's job or `accord psi join`) drives; the server (a node) answers:
 *
 *   1. client → server  start {run, collaboration, id types, declared sizes}; the server admits the
 *      run through its guard and blinds its own consented set once (H(s)^b), sorted.
 *   2. per identifier type, in the collaboration's priority order:
 *      client → server  its set blinded once, H(c)^a, sorted (frames of `client-blinded`);
 *                       the server blinds it again and keeps 12-byte truncations of H(c)^ab
 *      client ← server  H(s)^b frames; the client blinds them again: H(s)^ba
 *      client ← server  H(c)^ab truncations: in the client's order when the client may learn which of
 *                       its people matched, re-sorted (so unlinkable) when it may learn only the count
 *      client → server  H(s)^ba truncations in the server's order, only when the server may learn
 *                       which of its people matched (`server-double`)
 *   3. client → server  finish (or fail); each side releases what its guard allows and writes its
 *      processing record; keys and intermediate sets are erased.
 *
 * Every frame is signed by its sender's node key and bound to collaboration, run, kind, suite, id
 * type and sequence (crypto/psi/frame.ts); the HTTP requests carrying them are signed too.
 */
import { z } from 'zod';

export { COMPARE_BYTES } from '../../crypto/psi/compare.ts';

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
      serverDoubleReceived: z.number().int(),
    }),
  ),
});
export type ServerRunView = z.infer<typeof serverRunView>;

export const finishRunBody = z
  .object({
    /**
     * What the client's own guard released of the count (noised if the terms say so), or null when it
     * withheld it: the server never hears a raw count.
     */
    released: z.object({ total: z.number().int().min(0), byIdType: z.record(z.string(), z.number().int().min(0)).nullable() }).strict().nullable(),
  })
  .strict();
export type FinishRunBody = z.infer<typeof finishRunBody>;

export const failRunBody = z.object({ reason: z.string().min(1).max(500) }).strict();

/** Streams a client may send and fetch. */
export const clientSendStreams = ['client-blinded', 'server-double'] as const;
export const clientFetchStreams = ['server-blinded', 'client-double', 'client-double-full', 'server-gcs', 'server-payload'] as const;
export type ClientSendStream = (typeof clientSendStreams)[number];
export type ClientFetchStream = (typeof clientFetchStreams)[number];

/**
 * Proof of consent over HTTP: signed receipts of a person's events (JWS, Kantara CR / ISO 27560
 * shape), a person's history with inclusion proofs, consistency proofs between checkpoints for
 * auditors, and the schedule that seals checkpoints periodically. Everything here is checkable with
 * the node's public key from /.well-known/accord-node alone.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { base64url } from '../../crypto/jws.ts';
import { dpvConsentStatus } from '../../consent/dpv-consent-status.ts';
import { recordAuditEvent } from '../../core/audit/audit-log.ts';
import { MAX_SEAL_INTERVAL_SECONDS, scheduleConsentCheckpoints } from '../../core/consent/consent-checkpoint-schedule.ts';
import { consentConsistencyProof } from '../../core/consent/consent-proofs.ts';
import { issueConsentReceipt } from '../../core/consent/issue-consent-receipt.ts';
import { subjectConsentHistory } from '../../core/consent/subject-consent-history.ts';
import type { Database } from '../../core/db/schema.ts';
import type { NodeIdentity } from '../../core/identity/node-identity.ts';
import { actorOf, inCallerTenant } from '../plugins/auth.ts';
import { checkpoint as checkpointSchema, toCheckpoint } from './consent-routes.ts';

const subject = z.string().min(1).max(200);
const size = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const orNull = (text: string) => (text === '' ? null : text);

const historyEvent = z.object({
  seq: z.number(),
  clientEventId: z.string(),
  purpose: z.string(),
  recipient: z.string().nullable(),
  regime: z.string(),
  kind: z.string(),
  status: z.string().describe('DPV consent status IRI'),
  noticeId: z.string().nullable(),
  channel: z.string(),
  source: z.string(),
  evidence: z.record(z.string(), z.string()),
  collectedAt: z.string(),
  receivedAt: z.string(),
  record: z.string().describe('base64url of the RFC 8785 event record: the Merkle leaf data'),
  leafHash: z.string().describe('hex RFC 6962 leaf hash of record'),
  inclusionProof: z.array(z.string()).describe('hex sibling hashes, leaf to root, against `checkpoint`'),
});

const currentState = z.object({
  purpose: z.string(),
  recipient: z.string().nullable(),
  regime: z.string(),
  granted: z.boolean(),
  status: z.string().describe('DPV consent status IRI, now'),
  decidedBySeq: z.number(),
  decidedAt: z.string(),
  expiresAt: z.string().nullable(),
});

export const consentReceiptRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database>; identity: NodeIdentity; masterKey: Uint8Array }> = async (app, { db, identity }) => {
  app.get(
    '/v1/consent/receipts/:seq',
    {
      config: { scope: 'consent:read' },
      schema: {
        tags: ['consent'],
        summary: "A signed receipt (JWS, EdDSA) of one of a person's consent events, with its inclusion proof against a signed checkpoint",
        params: z.object({ seq: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) }),
        querystring: z.object({ subject }),
        response: { 200: z.object({ receipt: z.string(), consentReceiptID: z.string(), checkpointSize: z.number() }) },
      },
    },
    async (request) => {
      const issued = await inCallerTenant(db, request, (trx) => issueConsentReceipt(trx, identity, request.query.subject, request.params.seq));
      return { receipt: issued.receipt, consentReceiptID: issued.claims.consentReceiptID, checkpointSize: issued.checkpoint.treeSize };
    },
  );

  app.get(
    '/v1/consent/history',
    {
      config: { scope: 'consent:read' },
      schema: {
        tags: ['consent'],
        summary: "A person's consent events in order, each with an inclusion proof, and their current state; unknown subjects look like subjects without events",
        querystring: z.object({ subject }),
        response: { 200: z.object({ subject: z.string(), checkpoint: checkpointSchema.nullable(), events: z.array(historyEvent), state: z.array(currentState) }) },
      },
    },
    async (request) => {
      const history = await inCallerTenant(db, request, (trx) => subjectConsentHistory(trx, identity, request.query.subject));
      const now = Date.now();
      return {
        subject: request.query.subject,
        checkpoint: history.checkpoint ? toCheckpoint(history.checkpoint) : null,
        events: history.events.map(({ event, record, leafHash, inclusionProof }) => ({
          seq: event.seq,
          clientEventId: event.clientEventId,
          purpose: event.purpose,
          recipient: orNull(event.recipient),
          regime: event.regime,
          kind: event.kind,
          status: dpvConsentStatus(event.kind),
          noticeId: event.noticeId,
          channel: event.channel,
          source: event.source,
          evidence: event.evidence,
          collectedAt: event.collectedAt.toISOString(),
          receivedAt: event.receivedAt.toISOString(),
          record: base64url(record),
          leafHash: hex(leafHash),
          inclusionProof: inclusionProof.map(hex),
        })),
        state: history.state.map((decision) => ({
          purpose: decision.purpose,
          recipient: orNull(decision.recipient),
          regime: decision.regime,
          granted: decision.granted,
          status: dpvConsentStatus(decision.granted && decision.expiresAt && decision.expiresAt.getTime() <= now ? 'expired' : decision.decidedKind),
          decidedBySeq: decision.decidedBySeq,
          decidedAt: decision.decidedAt.toISOString(),
          expiresAt: decision.expiresAt?.toISOString() ?? null,
        })),
      };
    },
  );

  app.get(
    '/v1/consent/checkpoints/consistency',
    {
      config: { scope: 'consent:read' },
      schema: {
        tags: ['consent'],
        summary: 'RFC 6962 consistency proof from an older tree size to a signed checkpoint (the latest unless `to` is given)',
        querystring: z.object({ from: size, to: size.optional() }),
        response: { 200: z.object({ oldSize: z.number(), newSize: z.number(), checkpoint: checkpointSchema, proof: z.array(z.string()) }) },
      },
    },
    async (request) => {
      const proven = await inCallerTenant(db, request, (trx) => consentConsistencyProof(trx, request.query.from, request.query.to));
      return { oldSize: proven.oldSize, newSize: proven.checkpoint.treeSize, checkpoint: toCheckpoint(proven.checkpoint), proof: proven.proof.map(hex) };
    },
  );

  app.post(
    '/v1/consent/checkpoints/schedule',
    {
      config: { scope: 'privacy:admin' },
      schema: {
        tags: ['consent'],
        summary: 'Seal a checkpoint every N seconds whenever the log grew (starts now; changes the interval when already scheduled)',
        body: z.object({ everySeconds: z.number().int().min(1).max(MAX_SEAL_INTERVAL_SECONDS) }),
        response: { 202: z.object({ jobId: z.uuid(), everySeconds: z.number(), started: z.boolean() }) },
      },
    },
    async (request, reply) => {
      const scheduled = await inCallerTenant(db, request, async (trx) => {
        const result = await scheduleConsentCheckpoints(trx, request.body);
        await recordAuditEvent(trx, { actor: actorOf(request), action: 'consent.checkpoints.scheduled', targetType: 'job', targetId: result.jobId, details: request.body });
        return result;
      });
      return reply.code(202).send({ ...scheduled, everySeconds: request.body.everySeconds });
    },
  );
};

/**
 * Offline verification of a consent receipt with nothing but the node's public key (published at
 * /.well-known/accord-node): the JWS signature and key id, the event record against its leaf hash,
 * every receipt field against the record, the checkpoint's signature and log name, and the inclusion
 * proof of the leaf under the checkpoint's root. Pure; any failure names what did not hold.
 */
import { z } from 'zod';
import { canonicalJsonBytes } from '../crypto/canonical-json.ts';
import { openCheckpoint, type Checkpoint } from '../crypto/checkpoint.ts';
import { ed25519JwkThumbprint, fromBase64url, openCompactJws } from '../crypto/jws.ts';
import { leafHash, verifyInclusion } from '../crypto/merkle.ts';
import { eventKinds, regimes } from './consent-event.ts';
import { consentLogOrigin } from './consent-log-origin.ts';
import { consentReceiptId, jurisdictionOf, RECEIPT_TYPE, RECEIPT_VERSION, type ConsentReceiptClaims } from './consent-receipt.ts';
import { dpvConsentStatus } from './dpv-consent-status.ts';

export type ReceiptVerification = { ok: true; claims: ConsentReceiptClaims; checkpoint: Checkpoint } | { ok: false; problem: string };

const HASH_HEX = /^[0-9a-f]{64}$/;
const hash = z.string().regex(HASH_HEX);
const nullableText = z.string().nullable();

const claimsSchema = z.object({
  version: z.literal(RECEIPT_VERSION),
  iss: z.string().min(1),
  iat: z.number().int(),
  jurisdiction: z.string(),
  consentTimestamp: z.number().int(),
  collectionMethod: z.string(),
  consentReceiptID: z.string(),
  language: z.string(),
  piiPrincipalId: z.string(),
  piiControllers: z.array(z.object({ piiController: z.string() })),
  services: z
    .array(
      z.object({
        service: z.string(),
        purposes: z
          .array(
            z.object({
              purpose: z.string(),
              purposeCategory: z.array(z.string()),
              consentType: z.enum(['EXPLICIT', 'IMPLICIT']),
              piiCategory: z.array(z.string()),
              primaryPurpose: z.boolean(),
              termination: z.string(),
              thirdPartyDisclosure: z.boolean(),
              thirdPartyName: nullableText,
            }),
          )
          .length(1),
      }),
    )
    .length(1),
  sensitive: z.boolean(),
  spiCat: z.array(z.string()),
  regime: z.enum(regimes),
  consentStatus: z.string(),
  notice: z.object({ id: z.string(), noticeKey: z.string(), version: z.number().int(), contentHash: hash }).nullable(),
  separateConsentType: z.array(z.enum(['sensitive', 'provisionToThirdParty', 'crossBorder', 'publicDisclosure'])),
  recipient: nullableText,
  crossBorder: z.object({ recipient: nullableText }).nullable(),
  guardian: z.object({ reference: z.string() }).nullable(),
  ledger: z.object({
    seq: z.number().int().positive(),
    leafHash: hash,
    eventRecord: z.string(),
    inclusionProof: z.array(hash).max(64),
    checkpoint: z.object({ body: z.base64(), signature: z.base64() }),
  }),
});

/** The logged record's fields a receipt restates (consent-event.ts, form v1). */
const recordSchema = z.object({
  v: z.literal(1),
  tenantId: z.string(),
  seq: z.number().int().positive(),
  subject: z.string(),
  purpose: z.string(),
  recipient: z.string(),
  regime: z.enum(regimes),
  kind: z.enum(eventKinds),
  noticeId: z.string().nullable(),
  evidence: z.record(z.string(), z.string()),
  collectedAt: z.number().int(),
});

const fromHex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));
const fail = (problem: string): ReceiptVerification => ({ ok: false, problem });

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
}

/** Never throws: any malformed or mismatching part gives `ok: false` with the reason. */
export function verifyConsentReceipt(jws: unknown, nodePublicKey: Uint8Array): ReceiptVerification {
  const opened = openCompactJws(jws, nodePublicKey);
  if (!opened) return fail('the JWS is malformed or its signature does not verify under the node key');
  if (opened.header.kid !== ed25519JwkThumbprint(nodePublicKey)) return fail('the JWS key id names another key');
  if (opened.header.typ !== RECEIPT_TYPE) return fail(`the JWS type is not ${RECEIPT_TYPE}`);
  const parsed = claimsSchema.safeParse(parseJson(opened.payload));
  if (!parsed.success) return fail('the receipt claims are malformed');
  const claims = parsed.data as ConsentReceiptClaims;
  const { ledger } = claims;

  const recordBytes = fromBase64url(ledger.eventRecord);
  if (!recordBytes) return fail('the event record is not base64url');
  const leaf = leafHash(recordBytes);
  if (Buffer.from(leaf).toString('hex') !== ledger.leafHash) return fail('the event record does not hash to the leaf hash');
  const recordJson = parseJson(recordBytes);
  const record = recordSchema.safeParse(recordJson);
  // Only the one canonical form was logged; any other byte string for the same data is not a record.
  if (!record.success || Buffer.compare(Buffer.from(canonicalJsonBytes(recordJson)), Buffer.from(recordBytes)) !== 0) {
    return fail('the event record is not a canonical consent event');
  }
  const event = record.data;
  const purpose = claims.services[0]!.purposes[0]!;
  const restated: Array<[string, unknown, unknown]> = [
    ['seq', ledger.seq, event.seq],
    ['piiPrincipalId', claims.piiPrincipalId, event.subject],
    ['purpose', purpose.purpose, event.purpose],
    ['recipient', claims.recipient, event.recipient === '' ? null : event.recipient],
    ['thirdPartyName', purpose.thirdPartyName, event.recipient === '' ? null : event.recipient],
    ['regime', claims.regime, event.regime],
    ['jurisdiction', claims.jurisdiction, jurisdictionOf[event.regime]],
    ['consentStatus', claims.consentStatus, dpvConsentStatus(event.kind)],
    ['consentTimestamp', claims.consentTimestamp, Math.floor(event.collectedAt / 1000)],
    ['consentReceiptID', claims.consentReceiptID, consentReceiptId(event.tenantId, event.seq)],
    ['notice', claims.notice?.id ?? null, event.noticeId],
    ['guardian', claims.guardian?.reference ?? null, event.kind === 'guardian_given' ? (event.evidence.guardianReference ?? null) : null],
  ];
  for (const [field, said, logged] of restated) {
    if (said !== logged) return fail(`the receipt's ${field} differs from the logged event`);
  }

  const checkpoint = openCheckpoint(new Uint8Array(Buffer.from(ledger.checkpoint.body, 'base64')), new Uint8Array(Buffer.from(ledger.checkpoint.signature, 'base64')), nodePublicKey);
  if (!checkpoint) return fail('the checkpoint is malformed or not signed by the node key');
  if (checkpoint.origin !== consentLogOrigin(claims.iss, event.tenantId)) return fail("the checkpoint is of another node's or tenant's log");
  if (!verifyInclusion(leaf, ledger.seq - 1, checkpoint.treeSize, ledger.inclusionProof.map(fromHex), checkpoint.rootHash)) {
    return fail("the inclusion proof does not lead from the leaf to the checkpoint's root");
  }
  return { ok: true, claims, checkpoint };
}

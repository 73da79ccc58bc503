/**
 * A consent receipt: one ledger event told to the person (PIPL Art. 45 / GDPR Art. 15 copy) or an
 * auditor, as a JWS signed with the node's Ed25519 key. Fields follow Kantara CR v1.1 / ISO/IEC TS
 * 27560, extended with PIPL's separate-consent fields and DPV status terms, and carry the proof: the
 * exact canonical event record (the Merkle leaf), its RFC 6962 inclusion proof and the signed
 * checkpoint it is proven against. verify-consent-receipt.ts checks all of it offline.
 */
import { base64url, ed25519JwkThumbprint, signCompactJws } from '../crypto/jws.ts';
import { consentEventRecord, grantingKinds, type ConsentEvent, type Regime } from './consent-event.ts';
import { dpvConsentStatus } from './dpv-consent-status.ts';
import type { Purpose } from './purpose.ts';

export const RECEIPT_VERSION = 'KI-CR-v1.1.0';
export const RECEIPT_TYPE = 'accord-consent-receipt+jwt';

export const jurisdictionOf: Record<Regime, string> = { pipl: 'CN', gdpr: 'EU', ccpa: 'US-CA' };

/** The notice version the event cites, as far as a receipt tells it. */
export interface ReceiptNotice {
  readonly id: string;
  readonly noticeKey: string;
  readonly version: number;
  readonly language: string;
  readonly contentHash: Uint8Array;
  readonly dataCategories: readonly string[];
}

export interface ReceiptProof {
  readonly leafHash: Uint8Array;
  readonly inclusionProof: readonly Uint8Array[];
  readonly checkpoint: { readonly body: Uint8Array; readonly signature: Uint8Array };
}

export interface ConsentReceiptClaims {
  version: string;
  iss: string;
  iat: number;
  jurisdiction: string;
  /** Seconds since the epoch, as Kantara has it; the record holds the millisecond. */
  consentTimestamp: number;
  collectionMethod: string;
  consentReceiptID: string;
  language: string;
  piiPrincipalId: string;
  piiControllers: Array<{ piiController: string }>;
  services: Array<{
    service: string;
    purposes: Array<{
      purpose: string;
      purposeCategory: string[];
      consentType: 'EXPLICIT' | 'IMPLICIT';
      piiCategory: string[];
      primaryPurpose: boolean;
      termination: string;
      thirdPartyDisclosure: boolean;
      thirdPartyName: string | null;
    }>;
  }>;
  sensitive: boolean;
  spiCat: string[];
  regime: Regime;
  /** DPV consent status IRI. */
  consentStatus: string;
  notice: { id: string; noticeKey: string; version: number; contentHash: string } | null;
  separateConsentType: Array<'sensitive' | 'provisionToThirdParty' | 'crossBorder' | 'publicDisclosure'>;
  recipient: string | null;
  crossBorder: { recipient: string | null } | null;
  guardian: { reference: string } | null;
  ledger: {
    seq: number;
    /** Hex SHA-256 leaf hash (RFC 6962) of `eventRecord`. */
    leafHash: string;
    /** base64url of the RFC 8785 event record exactly as logged. */
    eventRecord: string;
    /** Hex sibling hashes, leaf to root. */
    inclusionProof: string[];
    /** base64 of the signed checkpoint text and its Ed25519 signature. */
    checkpoint: { body: string; signature: string };
  };
}

export interface ReceiptInput {
  readonly event: ConsentEvent;
  readonly purpose: Purpose;
  readonly notice: ReceiptNotice | null;
  readonly nodeId: string;
  readonly partyName: string;
  readonly proof: ReceiptProof;
  readonly issuedAt: Date;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);
const DAY_MS = 86_400_000;

export const consentReceiptId = (tenantId: string, seq: number) => `${tenantId}:${seq}`;

function termination(event: ConsentEvent, purpose: Purpose): string {
  if (!grantingKinds.has(event.kind)) return 'no consent is in force from this event; a later grant starts one';
  if (purpose.retentionDays === null) return 'until withdrawn';
  const expires = new Date(event.collectedAt.getTime() + purpose.retentionDays * DAY_MS);
  return `until withdrawn, or until ${expires.toISOString()} (${purpose.retentionDays} days after collection)`;
}

// PIPL Art. 23, 25, 29 and 39: each of these needs the person's separate consent.
function separateConsentTypes(purpose: Purpose): ConsentReceiptClaims['separateConsentType'] {
  const kinds: ConsentReceiptClaims['separateConsentType'] = [];
  if (purpose.sensitiveCategory) kinds.push('sensitive');
  if (purpose.requiresNamedRecipient) kinds.push('provisionToThirdParty');
  if (purpose.crossBorder) kinds.push('crossBorder');
  if (purpose.publicDisclosure) kinds.push('publicDisclosure');
  return kinds;
}

export function consentReceiptClaims(input: ReceiptInput): ConsentReceiptClaims {
  const { event, purpose, notice, proof } = input;
  const recipient = event.recipient === '' ? null : event.recipient;
  const guardianReference = event.evidence.guardianReference;
  return {
    version: RECEIPT_VERSION,
    iss: input.nodeId,
    iat: seconds(input.issuedAt),
    jurisdiction: jurisdictionOf[event.regime],
    consentTimestamp: seconds(event.collectedAt),
    collectionMethod: `${event.source} via ${event.channel}`,
    consentReceiptID: consentReceiptId(event.tenantId, event.seq),
    // BCP 47 "undetermined" when the event cites no notice (a withdrawal, for instance).
    language: notice?.language ?? 'und',
    piiPrincipalId: event.subject,
    piiControllers: [{ piiController: input.partyName }],
    services: [
      {
        service: purpose.name,
        purposes: [
          {
            purpose: purpose.key,
            purposeCategory: [purpose.key],
            consentType: purpose.legalBasis[event.regime] === 'opt_out' ? 'IMPLICIT' : 'EXPLICIT',
            piiCategory: [...(notice?.dataCategories ?? [])],
            primaryPurpose: true,
            termination: termination(event, purpose),
            thirdPartyDisclosure: recipient !== null,
            thirdPartyName: recipient,
          },
        ],
      },
    ],
    sensitive: purpose.sensitiveCategory !== null,
    spiCat: purpose.sensitiveCategory ? [purpose.sensitiveCategory] : [],
    regime: event.regime,
    consentStatus: dpvConsentStatus(event.kind),
    notice: notice && { id: notice.id, noticeKey: notice.noticeKey, version: notice.version, contentHash: hex(notice.contentHash) },
    separateConsentType: separateConsentTypes(purpose),
    recipient,
    crossBorder: purpose.crossBorder ? { recipient } : null,
    guardian: event.kind === 'guardian_given' && guardianReference ? { reference: guardianReference } : null,
    ledger: {
      seq: event.seq,
      leafHash: hex(proof.leafHash),
      eventRecord: base64url(consentEventRecord(event)),
      inclusionProof: proof.inclusionProof.map(hex),
      checkpoint: { body: base64(proof.checkpoint.body), signature: base64(proof.checkpoint.signature) },
    },
  };
}

/** Compact JWS, `kid` = RFC 7638 thumbprint of the node key (what /.well-known/accord-node publishes). */
export function signConsentReceipt(claims: ConsentReceiptClaims, signer: { publicKey: Uint8Array; sign(message: Uint8Array): Uint8Array }): string {
  const header = { alg: 'EdDSA' as const, typ: RECEIPT_TYPE, kid: ed25519JwkThumbprint(signer.publicKey) };
  return signCompactJws(header, new TextEncoder().encode(JSON.stringify(claims)), (message) => signer.sign(message));
}

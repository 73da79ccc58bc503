/**
 * What a party signs with its node key. An approval binds the terms (by hash), the collaboration, the
 * signing node and that party's own constraints; a revocation binds the terms, the node, when and
 * why. Each message is canonical JSON with its own type, so a signature over one kind of message can
 * never be taken for another.
 */
import { canonicalJsonBytes } from '../../crypto/canonical-json.ts';
import { verify } from '../../crypto/ed25519.ts';
import type { ApprovalConstraints } from './approval-constraints.ts';

export interface ApprovalStatement {
  readonly collaborationId: string;
  readonly termsHash: Uint8Array;
  readonly nodeId: string;
  readonly constraints: ApprovalConstraints;
}

export interface RevocationStatement {
  readonly collaborationId: string;
  readonly termsHash: Uint8Array;
  readonly nodeId: string;
  /** ISO instant. */
  readonly revokedAt: string;
  readonly reason: string;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

export const approvalMessage = (s: ApprovalStatement) =>
  canonicalJsonBytes({ type: 'accord.collaboration.approval/v1', collaborationId: s.collaborationId, termsHash: hex(s.termsHash), nodeId: s.nodeId, constraints: s.constraints });

export const revocationMessage = (s: RevocationStatement) =>
  canonicalJsonBytes({ type: 'accord.collaboration.revocation/v1', collaborationId: s.collaborationId, termsHash: hex(s.termsHash), nodeId: s.nodeId, revokedAt: s.revokedAt, reason: s.reason });

export const verifyApproval = (s: ApprovalStatement, signature: Uint8Array, publicKey: Uint8Array) => verify(signature, approvalMessage(s), publicKey);

export const verifyRevocation = (s: RevocationStatement, signature: Uint8Array, publicKey: Uint8Array) => verify(signature, revocationMessage(s), publicKey);

/**
 * How collaborations travel between nodes: the terms with every signed approval and revocation
 * (what a party fetches to import or catch up), and a single signed approval or revocation (what a
 * party pushes). Signatures are base64; nothing here is trusted until collaboration-signatures.ts
 * has verified it.
 */
import { z } from 'zod';
import { approvalConstraintsSchema } from './approval-constraints.ts';
import { collaborationTermsSchema, isoInstant } from './collaboration-terms.ts';
import type { Collaboration } from './collaboration-store.ts';

const signature = z.string().regex(/^[A-Za-z0-9+/]{86}==$/, '64 bytes in base64');

export const signedApprovalSchema = z.object({ nodeId: z.uuid(), constraints: approvalConstraintsSchema, signature }).strict();
export const signedRevocationSchema = z.object({ nodeId: z.uuid(), reason: z.string().max(1000), revokedAt: isoInstant, signature }).strict();

export const collaborationDocumentSchema = z
  .object({
    terms: collaborationTermsSchema,
    termsHash: z.string().regex(/^[0-9a-f]{64}$/),
    approvals: z.array(signedApprovalSchema).max(8),
    revocations: z.array(signedRevocationSchema).max(8),
  })
  .strict();

export type SignedApproval = z.output<typeof signedApprovalSchema>;
export type SignedRevocation = z.output<typeof signedRevocationSchema>;
export type CollaborationDocument = z.output<typeof collaborationDocumentSchema>;

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

export const toSignedApproval = (a: Collaboration['approvals'][number]): SignedApproval => ({ nodeId: a.nodeId, constraints: a.constraints, signature: base64(a.signature) });

export const toSignedRevocation = (r: Collaboration['revocations'][number]): SignedRevocation => ({ nodeId: r.nodeId, reason: r.reason, revokedAt: r.revokedAt.toISOString(), signature: base64(r.signature) });

export function toDocument(c: Collaboration): CollaborationDocument {
  return {
    terms: c.terms,
    termsHash: Buffer.from(c.termsHash).toString('hex'),
    approvals: c.approvals.map(toSignedApproval),
    revocations: c.revocations.map(toSignedRevocation),
  };
}

/**
 * `accord psi approve --server <brand node> --collaboration <id> --key partner.key [--constraints
 * file.json] [--yes]`: shows the terms the brand node holds, verified (psi-collaboration.ts), and
 * signs this party's approval exactly as a node does (collaboration-signatures.ts), with its own
 * constraints, which may only tighten the terms. The brand node takes it in as it would from a
 * party's node (POST /v1/node/collaborations/:id/approvals). The CLI party keeps no consent ledger:
 * approving says its own records allow the purpose and recipients shown.
 */
import { parseArgs } from 'node:util';
import { approvalConstraintsSchema, checkOnlyTightens, type ApprovalConstraints } from '../core/collaborations/approval-constraints.ts';
import { CollaborationError } from '../core/collaborations/collaboration-errors.ts';
import { approvalMessage } from '../core/collaborations/collaboration-signatures.ts';
import { callPeer } from '../core/peers/peer-client.ts';
import { confirm } from './psi-confirm.ts';
import { explainRefusal, fetchCollaboration } from './psi-collaboration.ts';
import { openPartySession, partyOptions } from './psi-party.ts';
import { termsSummary } from './psi-terms-summary.ts';
import { readJsonFile } from './read-json-file.ts';
import { UsageError } from './usage-error.ts';

async function constraintsFrom(path: string | undefined): Promise<ApprovalConstraints> {
  if (path === undefined) return {};
  const parsed = approvalConstraintsSchema.safeParse(await readJsonFile(path));
  if (!parsed.success) throw new UsageError(`${path}: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'constraints'}: ${issue.message}`).join('; ')}`);
  return parsed.data;
}

export async function psiApproveCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { ...partyOptions, constraints: { type: 'string' }, yes: { type: 'boolean', default: false } } });
  const constraints = await constraintsFrom(values.constraints);
  const { identity, server, collaborationId } = await openPartySession(values, 'psi approve');
  const fetched = await fetchCollaboration(identity, server, collaborationId);
  const { document, status } = fetched;
  for (const line of termsSummary(fetched)) console.log(line);
  if (status === 'revoked' || status === 'expired') throw new CollaborationError(status === 'revoked' ? 'ACCORD_ERR_COLLABORATION_REVOKED' : 'ACCORD_ERR_COLLABORATION_EXPIRED', `collaboration ${collaborationId} is ${status}: there is nothing to approve`);
  if (document.approvals.some((approval) => approval.nodeId === identity.nodeId)) {
    console.log(`party ${identity.nodeId} already approved these terms`);
    return;
  }
  checkOnlyTightens(document.terms, constraints);
  if (constraints.expiresAt && Date.parse(constraints.expiresAt) <= Date.now()) throw new CollaborationError('ACCORD_ERR_COLLABORATION_CONSTRAINTS', 'expiresAt must be in the future');
  if (!(await confirm(`approve these terms as ${fetched.self.role} ${identity.nodeId}${Object.keys(constraints).length > 0 ? ` with constraints ${JSON.stringify(constraints)}` : ''}?`, values.yes))) {
    console.log('not approved');
    return;
  }
  const signature = identity.sign(approvalMessage({ collaborationId, termsHash: fetched.termsHash, nodeId: identity.nodeId, constraints }));
  const approval = { nodeId: identity.nodeId, constraints, signature: Buffer.from(signature).toString('base64') };
  await callPeer(identity, server, 'POST', `/v1/node/collaborations/${collaborationId}/approvals`, approval, { timeoutMs: server.timeoutMs }).catch((error: unknown) => explainRefusal(error, server, identity));
  const after = await fetchCollaboration(identity, server, collaborationId);
  console.log(`approved collaboration ${collaborationId} as ${identity.nodeId}; it is now ${after.status}`);
}

/**
 * The node-to-node side of collaborations: a party's node fetches the terms with every signed
 * approval and revocation, and pushes its own approvals and revocations. Requests are signed by the
 * sending node (api/plugins/node-auth.ts); a tenant answers only when it holds the collaboration
 * and the sender is one of its parties under the key it signed with, and "not found" otherwise.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { collaborationDocumentSchema, signedApprovalSchema, signedRevocationSchema, toDocument, type CollaborationDocument } from '../../core/collaborations/collaboration-document.ts';
import { CollaborationError } from '../../core/collaborations/collaboration-errors.ts';
import { collaborationSharedWith, receiveApproval, receiveRevocation } from '../../core/collaborations/receive-party-statement.ts';
import type { Database } from '../../core/db/schema.ts';
import { withTenant, type TenantTransaction } from '../../core/db/tenant-scope.ts';
import { peerNodeOf, type PeerNode } from '../plugins/node-auth.ts';

const idParams = z.object({ id: z.uuid() });
const tags = ['node-to-node'];
const unknown = (id: string) => new CollaborationError('ACCORD_ERR_COLLABORATION_UNKNOWN', `collaboration ${id} not found`);

export const nodeCollaborationRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database> }> = async (app, { db }) => {
  /** Runs `work` in every tenant that pinned the sender; returns the answers that were not undefined. */
  async function inSendersTenants<T>(peer: PeerNode, work: (trx: TenantTransaction) => Promise<T | undefined>): Promise<T[]> {
    const answers: T[] = [];
    for (const tenantId of peer.tenantIds) {
      const answer = await withTenant(db, tenantId, work);
      if (answer !== undefined) answers.push(answer);
    }
    return answers;
  }

  app.get(
    '/v1/node/collaborations/:id',
    {
      config: { nodeAuth: true },
      schema: { tags, summary: 'The terms with every signed approval and revocation (signed node request; the sender must be a party)', params: idParams, response: { 200: collaborationDocumentSchema } },
    },
    async (request): Promise<CollaborationDocument> => {
      const peer = peerNodeOf(request);
      const [found] = await inSendersTenants(peer, async (trx) => {
        const c = await collaborationSharedWith(trx, request.params.id, peer);
        return c && toDocument(c);
      });
      if (!found) throw unknown(request.params.id);
      return found;
    },
  );

  app.post(
    '/v1/node/collaborations/:id/approvals',
    {
      config: { nodeAuth: true },
      schema: { tags, summary: "A party's signed approval (signed node request, by that party)", params: idParams, body: signedApprovalSchema, response: { 200: z.object({ accepted: z.literal(true) }) } },
    },
    async (request) => {
      const peer = peerNodeOf(request);
      const held = await inSendersTenants(peer, async (trx) => ((await receiveApproval(trx, request.params.id, peer, request.body)) ? true : undefined));
      if (held.length === 0) throw unknown(request.params.id);
      return { accepted: true as const };
    },
  );

  app.post(
    '/v1/node/collaborations/:id/revocations',
    {
      config: { nodeAuth: true },
      schema: { tags, summary: "A party's signed revocation (signed node request, by that party)", params: idParams, body: signedRevocationSchema, response: { 200: z.object({ accepted: z.literal(true) }) } },
    },
    async (request) => {
      const peer = peerNodeOf(request);
      const held = await inSendersTenants(peer, async (trx) => ((await receiveRevocation(trx, request.params.id, peer, request.body)) ? true : undefined));
      if (held.length === 0) throw unknown(request.params.id);
      return { accepted: true as const };
    },
  );
};

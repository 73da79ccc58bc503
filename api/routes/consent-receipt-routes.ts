/** (stub, filled by its feature) */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import type { Database } from '../../core/db/schema.ts';
import type { NodeIdentity } from '../../core/identity/node-identity.ts';

export const consentReceiptRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database>; identity: NodeIdentity; masterKey: Uint8Array }> = async () => {};

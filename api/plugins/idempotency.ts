/**
 * `Idempotency-Key` on authenticated POSTs: the first request with a key is run and its response
 * stored; a retry with the same key and body gets the stored response; the same key with another
 * body is a 409. Keys are per tenant and expire after 24 hours (and are purged hourly). A claim
 * whose request never answered (the process died) can be retried after 5 minutes. 429 and 5xx
 * responses are not stored, so the client may retry them.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../core/db/schema.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { ApiError } from '../errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    idempotencyKey?: string;
  }
}

const KEY = /^[\x21-\x7e]{1,255}$/;

/** JSON with sorted keys, so the same body in another key order is the same request. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const PURGE_INTERVAL_MS = 60 * 60_000;

/** Deletes expired keys of every tenant (runs as the owner, outside tenant scope). */
export async function purgeExpiredIdempotencyKeys(db: Kysely<Database>): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('created_at', '<', sql<Date>`now() - interval '24 hours'`).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export const idempotency = fp(async (app: FastifyInstance, { db }: { db: Kysely<Database> }) => {
  const purge = setInterval(() => void purgeExpiredIdempotencyKeys(db).catch(() => {}), PURGE_INTERVAL_MS);
  purge.unref();
  app.addHook('onClose', async () => clearInterval(purge));

  app.addHook('preHandler', async (request, reply) => {
    const key = request.headers['idempotency-key'];
    if (request.method !== 'POST' || key === undefined || !request.principal) return;
    if (typeof key !== 'string' || !KEY.test(key)) {
      throw new ApiError('ACCORD_ERR_VALIDATION', 'Idempotency-Key must be 1 to 255 visible ASCII characters');
    }
    const requestHash = createHash('sha256')
      .update(`${request.method} ${request.routeOptions.url}\n${request.url}\n${canonicalJson(request.body)}`)
      .digest('hex');
    const { tenantId } = request.principal;
    const { claimed, existing } = await withTenant(db, tenantId, async (trx) => {
      const claimed = await trx
        .insertInto('idempotency_keys')
        .values({ tenant_id: tenantId, key, request_hash: requestHash })
        .onConflict((oc) =>
          oc
            .columns(['tenant_id', 'key'])
            .doUpdateSet({ request_hash: requestHash, response_status: null, response_body: null, created_at: sql`now()` })
            // Expired keys, and claims whose request died before answering, may be taken again.
            .where((eb) =>
              eb.or([
                eb('idempotency_keys.created_at', '<', sql<Date>`now() - interval '24 hours'`),
                eb.and([eb('idempotency_keys.response_status', 'is', null), eb('idempotency_keys.created_at', '<', sql<Date>`now() - interval '5 minutes'`)]),
              ]),
            ),
        )
        .returning('key')
        .executeTakeFirst();
      const existing = claimed
        ? undefined
        : await trx.selectFrom('idempotency_keys').selectAll().where('key', '=', key).executeTakeFirst();
      return { claimed, existing };
    });
    if (claimed) {
      request.idempotencyKey = key;
      return;
    }
    if (existing && existing.request_hash !== requestHash) {
      throw new ApiError('ACCORD_ERR_IDEMPOTENCY_MISMATCH', 'this Idempotency-Key was used with a different request');
    }
    if (!existing || existing.response_status === null || existing.response_body === null) {
      throw new ApiError('ACCORD_ERR_IDEMPOTENCY_IN_PROGRESS', 'a request with this Idempotency-Key has not finished; retry later');
    }
    return reply
      .code(existing.response_status)
      .header('idempotent-replayed', 'true')
      .type(existing.response_status >= 400 ? 'application/problem+json' : 'application/json')
      .send(existing.response_body);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const key = request.idempotencyKey;
    if (!key || !request.principal) return payload;
    const keep = reply.statusCode < 500 && reply.statusCode !== 429 && typeof payload === 'string';
    await withTenant(db, request.principal.tenantId, async (trx) => {
      if (keep) {
        await trx.updateTable('idempotency_keys').set({ response_status: reply.statusCode, response_body: payload }).where('key', '=', key).execute();
      } else {
        await trx.deleteFrom('idempotency_keys').where('key', '=', key).execute();
      }
    });
    return payload;
  });
});

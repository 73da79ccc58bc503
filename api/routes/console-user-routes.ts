/**
 * Console users of the caller's tenant, made by its admins: an e-mail, a name and a role (privacy
 * officer, marketer, admin). The generated password is in the answer to the creation only.
 * Revoking disables the user and keeps the row for the audit trail.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { recordAuditEvent } from '../../core/audit/audit-log.ts';
import type { Database } from '../../core/db/schema.ts';
import { consoleRoles, consoleRoleScopes, createConsoleUser, disableConsoleUser, listConsoleUsers, type ConsoleUser } from '../../core/tenancy/console-users.ts';
import { actorOf, inCallerTenant } from '../plugins/auth.ts';

const userView = z.object({
  id: z.uuid(),
  email: z.string(),
  displayName: z.string(),
  role: z.enum(consoleRoles),
  scopes: z.array(z.string()).describe('what the console may do on the user\'s behalf'),
  createdAt: z.string(),
  disabledAt: z.string().nullable(),
});
const toView = (user: ConsoleUser): z.output<typeof userView> => ({
  ...user,
  scopes: [...consoleRoleScopes[user.role]],
  createdAt: user.createdAt.toISOString(),
  disabledAt: user.disabledAt?.toISOString() ?? null,
});

export const consoleUserRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database> }> = async (app, { db }) => {
  app.post(
    '/v1/console-users',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'A new console user with a role; the generated password is shown once',
        body: z.object({ email: z.string().min(3).max(320), displayName: z.string().min(1).max(200), role: z.enum(consoleRoles) }),
        response: { 201: z.object({ user: userView, password: z.string().describe('shown this once; the node keeps only a scrypt hash') }) },
      },
    },
    async (request, reply) => {
      const created = await inCallerTenant(db, request, async (trx) => {
        const result = await createConsoleUser(trx, request.body, actorOf(request));
        await recordAuditEvent(trx, { actor: actorOf(request), action: 'console_users.created', targetType: 'console_user', targetId: result.user.id, details: { role: result.user.role } });
        return result;
      });
      return reply.code(201).send({ user: toView(created.user), password: created.password });
    },
  );

  app.get('/v1/console-users', { config: { scope: 'admin' }, schema: { tags: ['admin'], summary: "The console users of the caller's tenant, disabled ones included", response: { 200: z.object({ users: z.array(userView) }) } } }, async (request) => ({
    users: (await inCallerTenant(db, request, listConsoleUsers)).map(toView),
  }));

  app.delete(
    '/v1/console-users/:id',
    { config: { scope: 'admin' }, schema: { tags: ['admin'], summary: 'Disable a console user (kept for the audit trail)', params: z.object({ id: z.uuid() }), response: { 200: userView } } },
    async (request) =>
      toView(
        await inCallerTenant(db, request, async (trx) => {
          const user = await disableConsoleUser(trx, request.params.id);
          await recordAuditEvent(trx, { actor: actorOf(request), action: 'console_users.disabled', targetType: 'console_user', targetId: user.id, details: {} });
          return user;
        }),
      ),
  );
};

/**
 * Append-only log of administrative actions, written in the same transaction as the action
 * (the table refuses UPDATE and DELETE, and row-level security keeps it per tenant).
 */
import type { TenantTransaction } from '../db/tenant-scope.ts';

export interface AuditEventInput {
  actor: string;
  action: string;
  targetType: string;
  targetId?: string | undefined;
  details?: Record<string, unknown>;
}

export async function recordAuditEvent(trx: TenantTransaction, event: AuditEventInput): Promise<void> {
  await trx
    .insertInto('audit_events')
    .values({
      tenant_id: trx.tenantId,
      actor: event.actor,
      action: event.action,
      target_type: event.targetType,
      target_id: event.targetId ?? null,
      details: JSON.stringify(event.details ?? {}),
    })
    .execute();
}

/** Newest first, paged by id. */
export async function listAuditEvents(trx: TenantTransaction, page: { limit: number; beforeId?: number | undefined }) {
  let query = trx
    .selectFrom('audit_events')
    .select(['id', 'actor', 'action', 'target_type', 'target_id', 'details', 'occurred_at'])
    .orderBy('id', 'desc')
    .limit(page.limit);
  if (page.beforeId !== undefined) query = query.where('id', '<', page.beforeId);
  return query.execute();
}

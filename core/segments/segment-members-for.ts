/**
 * A segment's members for a purpose: the only way members leave a segment for processing. The
 * members go through the consent gate (consented-persons.ts: an absorbed person answers through
 * its survivor, which holds the most restrictive consent of both), which writes the processing
 * record in the caller's transaction.
 */
import type { Regime } from '../../consent/consent-event.ts';
import type { ConsentGate } from '../consent/consent-gate.ts';
import { consentedPersons, type ConsentedPersons } from '../consent/consented-persons.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { notFound } from '../errors.ts';
import { segmentMemberIds } from './segment-store.ts';

export interface PurposeRequest {
  readonly purpose: string;
  readonly recipient?: string | undefined;
  readonly regime: Regime;
  readonly activity: string;
  readonly actor: string;
  readonly at?: Date;
}

export async function segmentMembersFor(trx: TenantTransaction, gate: ConsentGate, segmentId: number, request: PurposeRequest): Promise<ConsentedPersons> {
  const segment = await trx.selectFrom('segments').select('id').where('id', '=', segmentId).executeTakeFirst();
  if (!segment) throw notFound(`segment ${segmentId}`);
  const { recipient, ...rest } = request;
  return consentedPersons(trx, gate, await segmentMemberIds(trx, segmentId), { ...rest, recipients: recipient === undefined ? [] : [recipient], details: { segmentId } });
}

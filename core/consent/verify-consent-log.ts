/**
 * `accord consent verify`: recomputes the tenant's chain from the stored columns of every event and
 * names the first record that does not match: an edited column, a removed, inserted or reordered
 * row, or a head that does not point at the last event.
 */
import { consentEventRecord } from '../../consent/consent-event.ts';
import { openCheckpoint } from '../../crypto/checkpoint.ts';
import { chainLink, GENESIS_LINK } from '../../crypto/hash-chain.ts';
import { leafHash, rootHash } from '../../crypto/merkle.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { readConsentLog } from './consent-log-reader.ts';

export interface LogVerification {
  readonly ok: boolean;
  readonly eventsChecked: number;
  /** Signed checkpoints whose signature and tree head were recomputed (when a node key was given). */
  readonly checkpointsChecked?: number;
  /** The first sequence number that fails, with why. */
  readonly firstBad?: { seq: number; problem: string };
}

export async function verifyConsentLog(trx: TenantTransaction, nodePublicKey?: Uint8Array): Promise<LogVerification> {
  let previous = GENESIS_LINK;
  let expectedSeq = 1;
  const leaves: Uint8Array[] = [];
  for await (const { event, link: stored } of readConsentLog(trx)) {
    const fail = (problem: string): LogVerification => ({ ok: false, eventsChecked: expectedSeq - 1, firstBad: { seq: expectedSeq, problem } });
    if (event.seq !== expectedSeq) return fail(`event ${expectedSeq} is missing (next stored is ${event.seq})`);
    const record = consentEventRecord(event);
    const link = chainLink(previous, record);
    if (Buffer.compare(Buffer.from(link), Buffer.from(stored)) !== 0) return fail('its content or its place in the chain was altered');
    previous = link;
    if (nodePublicKey) leaves.push(leafHash(record));
    expectedSeq += 1;
  }
  const checked = expectedSeq - 1;
  const head = await trx.selectFrom('consent_chain_heads').select(['seq', 'link']).executeTakeFirst();
  const headSeq = head?.seq ?? 0;
  if (headSeq !== checked || Buffer.compare(Buffer.from(head?.link ?? GENESIS_LINK), Buffer.from(previous)) !== 0) {
    return { ok: false, eventsChecked: checked, firstBad: { seq: Math.min(headSeq, checked) + 1, problem: `the chain head says ${headSeq} events, the log holds ${checked}` } };
  }
  if (!nodePublicKey) return { ok: true, eventsChecked: checked };

  const checkpoints = await trx.selectFrom('consent_checkpoints').selectAll().orderBy('tree_size').execute();
  for (const row of checkpoints) {
    const opened = openCheckpoint(row.body, row.signature, nodePublicKey);
    const fail = (problem: string): LogVerification => ({ ok: false, eventsChecked: checked, firstBad: { seq: Math.min(row.tree_size, checked + 1), problem } });
    if (!opened || opened.treeSize !== row.tree_size || Buffer.compare(Buffer.from(opened.rootHash), Buffer.from(row.root_hash)) !== 0) {
      return fail(`the checkpoint at ${row.tree_size} events is not signed by this node`);
    }
    if (row.tree_size > checked) return fail(`the checkpoint at ${row.tree_size} events covers events the log no longer holds`);
    if (Buffer.compare(Buffer.from(rootHash(leaves.slice(0, row.tree_size))), Buffer.from(row.root_hash)) !== 0) {
      return fail(`the log's first ${row.tree_size} events no longer match their signed checkpoint`);
    }
  }
  return { ok: true, eventsChecked: checked, checkpointsChecked: checkpoints.length };
}

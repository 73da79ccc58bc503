/**
 * `accord consent verify --subject <ref>`: checks one person's records and names the first bad one.
 * Each record must recompute its stored chain link from its predecessor's (an edited column shows
 * here, on the record itself), and, with the node key, the latest signed checkpoint must open and its
 * root must still follow from the log, so every record it covers is the one the node signed for.
 * Records logged after that checkpoint are vouched for by the chain only. Whole-log forensics (which
 * record of whom was altered when a checkpoint fails) stay with `verifyConsentLog`.
 */
import { consentEventRecord } from '../../consent/consent-event.ts';
import { openCheckpoint } from '../../crypto/checkpoint.ts';
import { chainLink, GENESIS_LINK } from '../../crypto/hash-chain.ts';
import { rootHash } from '../../crypto/merkle.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { consentLeafHashes } from './consent-checkpoints.ts';
import { toConsentEvent } from './consent-log-reader.ts';

export interface SubjectVerification {
  readonly ok: boolean;
  /** The subject's records that verify (before the first bad one). */
  readonly eventsChecked: number;
  /** Size of the signed checkpoint the records were proven against, when one was checked. */
  readonly checkpointSize?: number;
  /** Of the records checked, those logged after that checkpoint. */
  readonly unsealed?: number;
  readonly firstBad?: { seq: number; problem: string };
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

export async function verifySubjectConsent(trx: TenantTransaction, subject: string, nodePublicKey?: Uint8Array): Promise<SubjectVerification> {
  const rows = await trx.selectFrom('consent_events').selectAll().where('subject', '=', subject).orderBy('seq').execute();
  const predecessors = rows.map((row) => row.seq - 1).filter((seq) => seq > 0);
  const linkBefore = new Map<number, Uint8Array>([[0, GENESIS_LINK]]);
  if (predecessors.length > 0) {
    for (const row of await trx.selectFrom('consent_events').select(['seq', 'link']).where('seq', 'in', predecessors).execute()) linkBefore.set(row.seq, row.link);
  }
  for (const [checked, row] of rows.entries()) {
    const previous = linkBefore.get(row.seq - 1);
    const fail = (problem: string): SubjectVerification => ({ ok: false, eventsChecked: checked, firstBad: { seq: row.seq, problem } });
    if (!previous) return fail(`event ${row.seq - 1} before it is missing`);
    if (!same(chainLink(previous, consentEventRecord(toConsentEvent(row))), row.link)) return fail('its content or its place in the chain was altered');
  }
  if (!nodePublicKey) return { ok: true, eventsChecked: rows.length };

  const latest = await trx.selectFrom('consent_checkpoints').selectAll().orderBy('tree_size', 'desc').limit(1).executeTakeFirst();
  if (!latest) return { ok: true, eventsChecked: rows.length, unsealed: rows.length };
  const covered = rows.filter((row) => row.seq <= latest.tree_size);
  const fail = (problem: string): SubjectVerification => ({ ok: false, eventsChecked: 0, firstBad: { seq: covered[0]?.seq ?? latest.tree_size, problem } });
  const opened = openCheckpoint(latest.body, latest.signature, nodePublicKey);
  if (!opened || opened.treeSize !== latest.tree_size || !same(opened.rootHash, latest.root_hash)) {
    return fail(`the checkpoint at ${latest.tree_size} events is not signed by this node`);
  }
  if (covered.length > 0) {
    const leaves = await consentLeafHashes(trx, latest.tree_size);
    if (leaves.length !== latest.tree_size || !same(rootHash(leaves), latest.root_hash)) {
      return fail(`the log no longer gives the root of the signed checkpoint at ${latest.tree_size} events, so this record cannot be proven (the altered record may be another person's: run accord consent verify)`);
    }
  }
  return { ok: true, eventsChecked: rows.length, checkpointSize: latest.tree_size, unsealed: rows.length - covered.length };
}

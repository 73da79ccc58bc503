/**
 * `accord psi join --server <brand node> --collaboration <id> --key partner.key --input users.csv
 * --id-type phone[,email] [--column C] [--default-region CN] [--output matched.csv] [--workers N]`:
 * a party without a node runs its side of PSI from a file. The file is normalised and digested here
 * (core/psi/file-input.ts); only blinded elements leave this machine, in signed frames, over the
 * node-to-node protocol (core/psi/psi-client.ts) against the brand node, which serves it as it
 * serves any party's node. The count is shown as the collaboration's terms allow (psi-release.ts):
 * computed here when the terms release members to this party, and then the matched rows are written
 * to --output; released by the brand node, which computes it, when they release only the count.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { startPsiEngine } from '../crypto/psi/psi-engine.ts';
import { publicKeyOfParty } from '../core/collaborations/collaboration-terms.ts';
import { AccordError } from '../core/errors.ts';
import { isIdentifierType } from '../core/identifiers/identifier-types.ts';
import { psiTypeOfFileType, readFileInput, type FileInput, type FileInputColumn } from '../core/psi/file-input.ts';
import { runPsiClient, type PsiClientResult } from '../core/psi/psi-client.ts';
import { learnsMembers } from '../core/psi/psi-collaboration.ts';
import { httpPsiTransport } from '../core/psi/psi-http-transport.ts';
import { PsiRunError } from '../core/psi/psi-run-error.ts';
import { usageText } from './command-usages.ts';
import { explainRefusal, fetchCollaboration, requireRunnable, type FetchedCollaboration } from './psi-collaboration.ts';
import { writeMatchedRows } from './psi-matched-output.ts';
import { openPartySession, partyOptions } from './psi-party.ts';
import { psiProgressBar } from './psi-progress.ts';
import { releaseLine, releaseToParty } from './psi-release.ts';
import type { GuardDecision } from '../core/guard/release-counts.ts';
import type { FinishRunBody } from '../core/psi/psi-protocol.ts';
import { UsageError } from './usage-error.ts';

/** `--id-type phone,email` with `--column Mobile` (one type) or `--column phone=Mobile,email=Mail`. */
export function inputColumnsOf(idTypes: string, column: string | undefined): FileInputColumn[] {
  const types = idTypes.split(',').map((type) => type.trim()).filter(Boolean);
  for (const type of types) {
    if (!isIdentifierType(type) || !psiTypeOfFileType(type)) throw new UsageError(`--id-type ${type}: PSI matches email, phone, idfa, oaid, imei, android_id, or their _sha256 forms`);
  }
  if (new Set(types.map(psiTypeOfFileType)).size !== types.length) throw new UsageError('--id-type names each identifier type once');
  const named = new Map<string, string>();
  if (column !== undefined && !column.includes('=')) {
    if (types.length !== 1) throw new UsageError('with several --id-type, name columns as --column type=name,...');
    named.set(types[0]!, column);
  } else if (column !== undefined) {
    for (const pair of column.split(',')) {
      const [type, name] = pair.split('=').map((part) => part.trim());
      if (!type || !name || !types.includes(type)) throw new UsageError(`--column ${pair}: expected type=name for a type of --id-type`);
      named.set(type, name);
    }
  }
  return types.map((type) => ({ type: type as FileInputColumn['type'], column: named.get(type) }));
}

function inputReport(path: string, input: FileInput): string {
  const counts = [...input.sets].map(([type, set]) => `${type} ${set.personIds.length}`).join(', ');
  const parts = [`${path}: ${input.rows} rows; to match: ${counts}`];
  if (input.rejected.count > 0) {
    const reasons = Object.entries(input.rejected.byReason).map(([reason, n]) => `${reason} ${n}`).join(', ');
    const more = input.rejected.moreRows ? ', ...' : '';
    const values = input.rejected.count === 1 ? 'value' : 'values';
    const rows = input.rejected.rows.length === 1 && !more ? 'row' : 'rows';
    parts.push(`${input.rejected.count} ${values} not valid, not sent (${reasons}) in ${rows} ${input.rejected.rows.join(', ')}${more}`);
  }
  if (input.duplicates > 0) parts.push(`${input.duplicates} repeated, sent once`);
  if (input.blank > 0) parts.push(`${input.blank} empty cells`);
  return parts.join('; ');
}

function workersOf(value: string | undefined): number {
  if (value === undefined) return availableParallelism();
  const workers = Number(value);
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw new UsageError('--workers takes a whole number from 1 to 256');
  return workers;
}

/** The identifier types to run, in the collaboration's priority order; every type asked for must be in it. */
function runTypes(fetched: FetchedCollaboration, input: FileInput): string[] {
  const allowed: readonly string[] = fetched.effective.idTypes;
  const foreign = [...input.sets.keys()].filter((type) => !allowed.includes(type));
  if (foreign.length > 0) throw new PsiRunError('ACCORD_ERR_PSI_RUN_INVALID', `collaboration ${fetched.document.terms.id} matches on ${allowed.join(', ')}, not on ${foreign.join(', ')}`);
  const types = allowed.filter((type) => (input.sets.get(type)?.personIds.length ?? 0) > 0);
  if (types.length === 0) throw new AccordError('ACCORD_ERR_INVALID_INPUT', 'the file has no valid identifier to match');
  return types;
}

async function runAgainstServer(
  fetched: FetchedCollaboration,
  session: Awaited<ReturnType<typeof openPartySession>>,
  input: FileInput,
  idTypes: string[],
  workers: number,
  progress: ReturnType<typeof psiProgressBar>,
  release: (result: PsiClientResult) => Promise<FinishRunBody>,
): Promise<{ runId: string; result: PsiClientResult }> {
  const { identity, server, collaborationId } = session;
  const engine = await startPsiEngine({ suite: fetched.effective.suite, workers });
  const key = engine.newKey();
  const runId = randomUUID();
  const transport = httpPsiTransport(identity, server, collaborationId, runId);
  try {
    const result = await runPsiClient({
      runId,
      collaborationId,
      suite: fetched.effective.suite,
      idTypes,
      inputs: input.sets,
      engine,
      key,
      transport,
      sign: (message) => identity.sign(message),
      serverPublicKey: publicKeyOfParty(fetched.serverParty),
      onProgress: (step) => progress.step(step),
      maxServerSize: fetched.effective.maxSetSize,
      expect: { clientLearnsMembers: learnsMembers(fetched.effective.outputs, fetched.self.role), serverLearnsMembers: learnsMembers(fetched.effective.outputs, fetched.serverParty.role) },
      release,
    });
    return { runId, result };
  } catch (error) {
    // Tell the server, so its side ends now and releases nothing; it may never have started.
    await transport.fail(`the client stopped: ${(error as Error).message}`.slice(0, 500)).catch(() => undefined);
    return explainRefusal(error, server, identity);
  } finally {
    progress.close();
    key.destroy();
    await engine.close();
  }
}

export async function psiJoinCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      ...partyOptions,
      input: { type: 'string' },
      'id-type': { type: 'string' },
      column: { type: 'string' },
      'default-region': { type: 'string' },
      output: { type: 'string' },
      workers: { type: 'string' },
    },
  });
  if (!values.input || !values['id-type']) throw new UsageError(usageText('psi join'));
  const columns = inputColumnsOf(values['id-type'], values.column);
  const workers = workersOf(values.workers);
  const session = await openPartySession(values, 'psi join');
  const fetched = await fetchCollaboration(session.identity, session.server, session.collaborationId);
  requireRunnable(fetched);

  const progress = psiProgressBar();
  const input = await readFileInput(values.input, { columns, defaultRegion: values['default-region'], onRows: (rows) => progress.reading(rows) });
  progress.close();
  console.log(inputReport(values.input, input));
  const idTypes = runTypes(fetched, input);

  // Members to this party: its own release comes first, and the server is told only what it allows.
  // Count only: the server counts and releases, and this party prints what it released.
  let decision: GuardDecision | undefined;
  const { runId, result } = await runAgainstServer(fetched, session, input, idTypes, workers, progress, async (outcome) => {
    decision = outcome.serverRelease ?? releaseToParty(fetched.effective, outcome.matched!);
    return { decision: outcome.serverRelease ? null : decision };
  });
  console.log(releaseLine(runId, decision!, fetched.effective, result.serverRelease ? 'the brand node' : 'this party'));
  if (!decision!.released) {
    if (values.output) console.log(`no rows written to ${values.output}`);
    return;
  }
  if (!values.output) return;
  if (!learnsMembers(fetched.effective.outputs, fetched.self.role) || !result.matched) {
    console.log(`no rows written to ${values.output}: the terms release only the overlap count to this party`);
    return;
  }
  const written = await writeMatchedRows(values.input, input.shape, new Set(result.matched.keys()), values.output);
  console.log(`wrote ${written} matched rows to ${values.output}`);
}

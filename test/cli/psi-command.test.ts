/**
 * `accord psi` against a real brand node over HTTP: a media partner without a node makes a key, the
 * brand pins it as an offline party, the partner approves the terms and runs PSI from its own file.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { nodeJobProcessors } from '../../api/job-processors.ts';
import { psiCommand } from '../../cli/psi-command.ts';
import { recordConsentEvents } from '../../core/consent/record-consent-event.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import type { JobRunner } from '../../core/jobs/job-runner.ts';
import { PsiEngines } from '../../core/psi/psi-engines.ts';
import { runAccord } from '../support/accord-process.ts';
import { createTestRunner, waitFor } from '../support/job-runners.ts';
import { storageBackends } from '../support/test-database.ts';
import { defineMatchingConsent, PURPOSE, RECIPIENT, startCollaborationNode, type CollaborationNode } from '../api/collaboration-nodes.ts';

/** Runs `accord psi ...` in-process: what it printed on stdout and stderr, or the error it stopped with. */
async function psi(args: string[]): Promise<{ out: string; err: string; error: (Error & { code?: string }) | undefined }> {
  const lines: string[] = [];
  let err = '';
  const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void lines.push(parts.join(' ')));
  const progress = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  try {
    await psiCommand(args);
    return { out: lines.join('\n'), err, error: undefined };
  } catch (error) {
    return { out: lines.join('\n'), err, error: error as Error & { code?: string } };
  } finally {
    log.mockRestore();
    progress.mockRestore();
  }
}

const brandPhone = (i: number) => `1380013${8000 + i}`;

/** The brand: 40 members user0..user39@example.com, the even ones with a phone; all consent to matching. */
async function seedBrand(node: CollaborationNode): Promise<void> {
  const records = Array.from({ length: 40 }, (_, i) => ({ email: `user${i}@example.com`, ...(i % 2 === 0 ? { phone: brandPhone(i) } : {}) }));
  expect((await node.call('POST', '/v1/ingest/members/batch', { records })).status).toBe(201);
  await defineMatchingConsent(node.t, node.tenantId);
  await withTenant(node.t.db, node.tenantId, async (trx) => {
    const notice = await trx.selectFrom('consent_notices').select('id').executeTakeFirstOrThrow();
    const persons = await trx.selectFrom('persons').select('id').execute();
    const events = persons.map((p) => ({
      clientEventId: `grant-${p.id}`,
      subject: `person:${p.id}`,
      purpose: PURPOSE,
      recipient: RECIPIENT,
      regime: 'pipl' as const,
      kind: 'given' as const,
      noticeId: notice.id,
      channel: 'app',
      source: 'signup',
      collectedAt: new Date(),
    }));
    await recordConsentEvents(trx, events);
  });
}

/**
 * The partner's users: rows 2-6 and 10 match the brand by phone, rows 7-9 and 11 by email only
 * (row 10 matches on both and counts once, on phone, the first type), row 11's phone and row 12's
 * email are not valid, row 14 repeats row 2's phone.
 */
const partnerCsv = [
  'name,phone,email',
  'a,13800138000,other0@partner.cn',
  'b,13800138002,other2@partner.cn',
  'c,13800138004,other4@partner.cn',
  'd,13800138006,',
  'e,13800138008,other8@partner.cn',
  'f,13900139001,user1@example.com',
  'g,13900139003,user3@example.com',
  'h,,user5@example.com',
  'i,13800138010,user10@example.com',
  'j,12345,user12@example.com',
  'k,13900139999,not-an-email',
  'l,13900139005,nobody@partner.cn',
  'm,13800138000,nobody2@partner.cn',
].join('\n');

describe.each(storageBackends)('accord psi against a brand node on %s', (backend) => {
  let brand: CollaborationNode;
  let runner: JobRunner;
  let engines: PsiEngines;
  let dir: string;
  let keyFile: string;
  let partnerNodeId: string;
  let partnerKey: string;
  let members: string;
  let countOnly: string;

  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const propose = async (body: Record<string, unknown>, brandConstraints: Record<string, unknown> = {}) => {
    const created = await brand.call('POST', '/v1/collaborations', {
      name: 'Spring launch',
      parties: [{ nodeId: brand.identity.nodeId, role: 'brand' }, { nodeId: partnerNodeId, role: 'partner' }],
      purpose: PURPOSE,
      recipients: [RECIPIENT],
      minCellSize: 1,
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      ...body,
    });
    expect(created.status).toBe(201);
    expect((await brand.call('POST', `/v1/collaborations/${created.body.id}/approve`, { constraints: brandConstraints })).status).toBe(200);
    return created.body.id as string;
  };
  const party = (collaborationId: string, key = keyFile) => ['--server', brand.url, '--collaboration', collaborationId, '--key', key];
  const join_ = (collaborationId: string, ...rest: string[]) => psi(['join', ...party(collaborationId), '--workers', '1', ...rest]);

  beforeAll(async () => {
    brand = await startCollaborationNode(backend, 'Brand');
    engines = new PsiEngines(1);
    runner = createTestRunner('in-process', brand.t.db, nodeJobProcessors(brand.t.db, brand.identity, new Uint8Array(32).fill(3), engines, brand.gate));
    await runner.start();
    await seedBrand(brand);
    dir = mkdtempSync(join(tmpdir(), 'accord-psi-cli-'));
    keyFile = join(dir, 'partner.key');
    const made = await psi(['keygen', '--out', keyFile, '--name', 'Ocean Engine']);
    expect(made.error).toBeUndefined();
    partnerNodeId = /node id\s+(\S+)/.exec(made.out)![1]!;
    partnerKey = /public key\s+(\S+)/.exec(made.out)![1]!;
    // The brand pins the partner as an offline party: no baseUrl.
    const pinned = await brand.call('POST', '/v1/peers', { nodeId: partnerNodeId, name: 'Ocean Engine', publicKey: partnerKey });
    expect(pinned.status).toBe(201);
    expect(pinned.body.baseUrl).toBeNull();
    // Members to the partner, with exact counts (which the partner opts in to when it approves); the
    // count only to the partner (the brand node counts), with the default noise. Inputs of 5 or more.
    members = await propose({ outputs: { matchedToBrand: false, matchedToPartner: true }, idTypes: ['phone', 'email'], minOverlap: 5, minInputSize: 5, exactCounts: true }, { exactCounts: true });
    countOnly = await propose({ outputs: { matchedToBrand: true, matchedToPartner: false }, idTypes: ['phone'], minOverlap: 5, minInputSize: 5 });
  });

  afterAll(async () => {
    await runner?.stop();
    await engines?.close();
    await brand?.close();
  });

  it('keygen writes a key file only its owner can read, prints what the brand pins, and never overwrites it', async () => {
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(keyFile, 'utf8'));
    expect(stored).toMatchObject({ type: 'accord.party-key/v1', nodeId: partnerNodeId, partyName: 'Ocean Engine', algorithm: 'Ed25519', publicKey: partnerKey });
    const again = await psi(['keygen', '--out', keyFile]);
    expect(again.error?.code).toBe('ACCORD_ERR_CONFLICT');
    expect(JSON.parse(readFileSync(keyFile, 'utf8'))).toEqual(stored);
    expect((await psi(['keygen'])).error?.message).toMatch(/^usage: accord psi keygen --out/);
  });

  it('refuses a key file others can read, or whose public key is not its own', async () => {
    const open = file('open.key', readFileSync(keyFile, 'utf8'));
    chmodSync(open, 0o644);
    const loose = await join_(members, '--key', open, '--input', file('x.csv', 'phone\n13800138000\n'), '--id-type', 'phone');
    expect(loose.error?.message).toMatch(/others may read it \(mode 644\)/);

    const other = join(dir, 'other.key');
    expect((await psi(['keygen', '--out', other])).error).toBeUndefined();
    const tampered = file('tampered.key', JSON.stringify({ ...JSON.parse(readFileSync(keyFile, 'utf8')), publicKey: JSON.parse(readFileSync(other, 'utf8')).publicKey }));
    chmodSync(tampered, 0o600);
    const refused = await psi(['approve', ...party(members, tampered), '--yes']);
    expect(refused.error?.code).toBe('ACCORD_ERR_INVALID_INPUT');
    expect(refused.error?.message).toMatch(/its public key is not the public key of its secret key/);
  });

  it('the brand node refuses a party signing with a key other than the one it pinned', async () => {
    const other = join(dir, 'impostor.key');
    expect((await psi(['keygen', '--out', other])).error).toBeUndefined();
    // The impostor claims the partner's id under its own key.
    writeFileSync(other, JSON.stringify({ ...JSON.parse(readFileSync(other, 'utf8')), nodeId: partnerNodeId }));
    const refused = await join_(members, '--key', other, '--input', file('y.csv', 'phone\n13800138000\n'), '--id-type', 'phone');
    expect(refused.error?.code).toBe('ACCORD_ERR_NODE_UNAUTHENTICATED');
    expect(refused.error?.message).toMatch(/does not accept this key/);

    const pinnedServer = await psi(['approve', ...party(members), '--server-key', partnerKey, '--yes']);
    expect(pinnedServer.error?.code).toBe('ACCORD_ERR_NODE_UNAUTHENTICATED');
    expect(pinnedServer.error?.message).toMatch(/not the pinned/);
  });

  it('refuses to join before the partner approved, then approves with the terms shown, once', async () => {
    const early = await join_(members, '--input', file('early.csv', partnerCsv), '--id-type', 'phone,email');
    expect(early.error?.code).toBe('ACCORD_ERR_COLLABORATION_NOT_APPROVED');
    expect(early.error?.message).toContain(`partner ${partnerNodeId}`);

    const approved = await psi(['approve', ...party(members), '--constraints', file('opt-in.json', '{"exactCounts": true}'), '--yes']);
    expect(approved.error).toBeUndefined();
    expect(approved.out).toContain(`collaboration ${members}: Spring launch (proposed)`);
    expect(approved.out).toContain('exact counts  offered by the terms');
    expect(approved.out).toContain('matches on    phone, email (suite ristretto255)');
    expect(approved.out).toContain('to the partner: yes');
    expect(approved.out).toMatch(new RegExp(`party\\s+partner ${partnerNodeId} key \\S+ \\(this key file\\)\\n`));
    expect(approved.out).toMatch(/approved collaboration \S+ as \S+; it is now approved$/);
    const view = await brand.call('GET', `/v1/collaborations/${members}`);
    expect(view.body.status).toBe('approved');
    // The brand never tried to push to the offline party: it fetches statements itself.
    expect(view.body.deliveries).toEqual([]);

    const again = await psi(['approve', ...party(members), '--yes']);
    expect(again.out).toMatch(/already approved these terms$/);
    expect((await psi(['approve', ...party(countOnly), '--yes'])).error).toBeUndefined();
  });

  it('joins from a CSV of phones and emails: counts the overlap once per person, reports invalid values, writes the matched rows', async () => {
    const output = join(dir, 'matched.csv');
    const joined = await join_(members, '--input', file('users.csv', partnerCsv), '--id-type', 'phone,email', '--default-region', 'CN', '--output', output);
    expect(joined.error).toBeUndefined();
    const lines = joined.out.split('\n');
    expect(lines[0]).toBe(`${join(dir, 'users.csv')}: 13 rows; to match: phone 10, email 11; 2 values not valid, not sent (phone_invalid 1, email_at_sign 1) in rows 11, 12; 1 repeated, sent once; 2 empty cells`);
    expect(lines[1]).toMatch(/^run [0-9a-f-]{36}: matched 10 \(phone 6, email 4\), exact, released by this party$/);
    expect(lines[2]).toBe(`wrote 10 matched rows to ${output}`);
    expect(statSync(output).mode & 0o777).toBe(0o600);
    const rows = readFileSync(output, 'utf8').split('\r\n').filter(Boolean);
    expect(rows).toEqual(['name,phone,email', ...partnerCsv.split('\n').slice(1, 11)]);
    // Progress on stderr, per identifier type in priority order; no identifier is echoed anywhere.
    // Every type's set goes first, then each is compared.
    expect(joined.err).toMatch(/phone: sending blinded set \S* ?1\/1 frames\n(.|\n)*email: sending blinded set(.|\n)*phone: done\n(.|\n)*email: done\n/);
    expect(`${joined.out}${joined.err}`).not.toMatch(/138001380|@example\.com|@partner\.cn/);

    // The brand served the run and put it on record; it learns no members under these terms.
    const runId = /^run (\S+):/.exec(lines[1]!)![1]!;
    const served = await waitFor(async () => {
      const run = await brand.call('GET', `/v1/psi/runs/${runId}`);
      return run.body.status === 'finished' ? run.body : undefined;
    }, 'the server run finished');
    expect(served).toMatchObject({ role: 'server', clientLearnsMembers: true, serverLearnsMembers: false });
    const records = await brand.call('GET', '/v1/processing-records?limit=50');
    expect(records.body.items.some((r: { activity: string; collaborationId?: string }) => r.activity === 'psi.run')).toBe(true);
  });

  it('joins from a plain list of numbers, reading national and international forms alike', async () => {
    const list = ['13800138012', '+86 138 0013 8014', '13800138016', '12345', '13800138012', '13900139007', '', '13800138018', '138-0013-8020'].join('\n');
    const output = join(dir, 'matched.txt');
    const joined = await join_(members, '--input', file('phones.txt', `${list}\n`), '--id-type', 'phone', '--output', output);
    expect(joined.error).toBeUndefined();
    expect(joined.out).toContain('phones.txt: 8 rows; to match: phone 6; 1 value not valid, not sent (phone_invalid 1) in row 4; 1 repeated, sent once');
    expect(joined.out).toMatch(/matched 5 \(phone 5\), exact/);
    expect(readFileSync(output, 'utf8')).toBe(['13800138012', '+86 138 0013 8014', '13800138016', '13800138018', '138-0013-8020', ''].join('\n'));
  });

  it('keeps to the terms: only their identifier types, only the count when members are not released, nothing below the minimum', async () => {
    const users = file('users2.csv', partnerCsv);
    const foreign = await join_(countOnly, '--input', users, '--id-type', 'phone,email');
    expect(foreign.error?.code).toBe('ACCORD_ERR_PSI_RUN_INVALID');
    expect(foreign.error?.message).toMatch(/matches on phone, not on email/);

    const output = join(dir, 'count-only.csv');
    const counted = await join_(countOnly, '--input', users, '--id-type', 'phone', '--output', output);
    expect(counted.error).toBeUndefined();
    // The brand node counted and released; the CLI prints that release as it came, noise and all.
    const release = /^run (\S+): (matched (\d+), with noise, ε 1, released by the brand node|the overlap is below the collaboration's minimum of 5; nothing is released)$/m.exec(counted.out);
    expect(release, counted.out).not.toBeNull();
    const served = await waitFor(async () => {
      const run = await brand.call('GET', `/v1/psi/runs/${release![1]}`);
      return run.body.status === 'finished' ? run.body : undefined;
    }, 'the server run finished');
    expect(served.result.decision).toEqual(release![3] ? { released: true, total: Number(release![3]), byIdType: null, cells: null, noise: { epsilon: 1 } } : { released: false, reason: 'below-min-overlap' });
    // The brand may learn its matched members under these terms: 6 of its people matched by phone.
    expect(served.result.membersStored).toBe(6);
    expect(counted.out).toMatch(/no rows written to \S+(: the terms release only the overlap count to this party)?$/);
    expect(existsSync(output)).toBe(false);

    // Three phones: fewer than the terms' minimum input, so the brand node refuses before any comparison.
    const few = await join_(countOnly, '--input', file('few.txt', '13800138000\n13800138002\n13900139001\n'), '--id-type', 'phone', '--output', output);
    expect(few.error?.message).toMatch(/ACCORD_ERR_GUARD_INPUT_TOO_SMALL/);
    expect(existsSync(output)).toBe(false);
  });

  it('reads SHA-256 hashes of normalised identifiers as they are, and refuses what it cannot read as asked', async () => {
    const hashes = [0, 2, 4, 6, 8, 10].map((i) => createHash('sha256').update(`+86${brandPhone(i)}`).digest('hex'));
    const hashed = await join_(members, '--input', file('hashed.csv', `phone_sha256\n${hashes.join('\n')}\n`), '--id-type', 'phone_sha256');
    expect(hashed.error).toBeUndefined();
    expect(hashed.out).toMatch(/to match: phone 6\nrun \S+: matched 6 \(phone 6\), exact, released by this party$/);

    const users = file('users3.csv', partnerCsv);
    expect((await join_(countOnly, '--input', users, '--id-type', 'phone', '--column', 'mobile')).error?.message).toMatch(/has no column mobile in its header row \(name, phone, email\)/);
    expect((await join_(countOnly, '--input', users, '--id-type', 'phone_md5')).error?.message).toMatch(/--id-type phone_md5: PSI matches/);
    expect((await join_(countOnly, '--input', join(dir, 'missing.csv'), '--id-type', 'phone')).error?.message).toMatch(/cannot read \S+missing\.csv: there is no such file \(ENOENT\)/);
    // From the shell: one line, exit 1, no stack.
    const missing = await runAccord(['psi', 'join', ...party(countOnly), '--input', join(dir, 'missing.csv'), '--id-type', 'phone']);
    expect(missing).toEqual({ code: 1, stdout: '', stderr: `accord: cannot read ${join(dir, 'missing.csv')}: there is no such file (ENOENT)\n` });

    const ragged = await join_(countOnly, '--input', file('ragged.csv', 'mobile,name\n13800138000,x\n13800138002\n'), '--id-type', 'phone', '--column', 'mobile');
    expect(ragged.out).toContain('ragged.csv: 2 rows; to match: phone 1; 1 value not valid, not sent (row_malformed 1) in row 3');
    expect(ragged.error?.message).toMatch(/ACCORD_ERR_GUARD_INPUT_TOO_SMALL/);
  });

  it('the brand cannot call the offline party, and a revoked collaboration refuses the CLI', async () => {
    // Refused before the guard admits it, so no run budget is spent on a run that could never start.
    const started = await brand.call('POST', '/v1/psi/runs', { collaborationId: members });
    expect(started.status).toBe(422);
    expect(started.body.code).toBe('ACCORD_ERR_PSI_RUN_INVALID');
    expect(started.body.detail).toMatch(/offline party/);

    expect((await brand.call('POST', `/v1/collaborations/${members}/revoke`, { reason: 'campaign over' })).status).toBe(200);
    expect((await brand.call('GET', `/v1/collaborations/${members}`)).body.deliveries).toEqual([]);
    const refused = await join_(members, '--input', file('late.csv', partnerCsv), '--id-type', 'phone,email');
    expect(refused.error?.code).toBe('ACCORD_ERR_COLLABORATION_REVOKED');
    expect(refused.error?.message).toMatch(/revoked by node \S+ at \S+: campaign over/);
  });
});

describe('accord psi as a command', () => {
  it('is wired into accord: keygen from the shell, usage errors in one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accord-psi-bin-'));
    const made = await runAccord(['psi', 'keygen', '--out', join(dir, 'p.key')]);
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/^party key written to .*p\.key/);
    const unknown = await runAccord(['psi', 'frobnicate']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^accord: unknown psi command "frobnicate"/);
  });
});

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signConsentReceipt, type ConsentReceiptClaims } from '../../consent/consent-receipt.ts';
import { consentEventRecord } from '../../consent/consent-event.ts';
import { verifyConsentReceipt } from '../../consent/verify-consent-receipt.ts';
import { openCheckpoint, signCheckpoint, decodeCheckpoint } from '../../crypto/checkpoint.ts';
import { generateSigningKeyPair } from '../../crypto/ed25519.ts';
import { base64url, ed25519JwkThumbprint, fromBase64url } from '../../crypto/jws.ts';
import { leafHash, verifyConsistency, verifyInclusion } from '../../crypto/merkle.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';
import { bearer, startTestApp, type TestApp } from '../support/test-app.ts';

const LOOKALIKE = 'marketing.advertising.lookalike';
const DPV = 'https://w3id.org/dpv#';
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));
const fromBase64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

interface Tenant {
  officer: string;
  collector: string;
  reader: string;
  tenantId: string;
  noticeId: string;
}

describe.each(storageBackends)('consent receipts and proofs on %s', (backend) => {
  let t: TestDatabase;
  let api: TestApp;
  let nodeKey: Uint8Array;
  let counter = 0;
  const post = (token: string, url: string, body: unknown) => api.app.inject({ method: 'POST', url, payload: body as object, headers: bearer(token) });
  const get = (token: string, url: string) => api.app.inject({ url, headers: bearer(token) });

  /** A tenant with the lookalike purpose (named recipients, PIPL separate consent) and a notice. */
  async function tenant(slug: string): Promise<Tenant> {
    const officer = await api.keyFor(slug, ['privacy:admin']);
    const collector = (await api.keyFor(slug, ['consent:write'])).token;
    const reader = (await api.keyFor(slug, ['consent:read'])).token;
    const purpose = await post(officer.token, '/v1/consent/purposes', {
      key: LOOKALIKE,
      name: 'Lookalike with media partners',
      mechanism: 'opt_in',
      legalBasis: { pipl: 'consent' },
      retentionDays: 365,
      requiresNamedRecipient: true,
    });
    expect(purpose.statusCode).toBe(201);
    const notice = await post(officer.token, '/v1/consent/notices', {
      noticeKey: 'privacy', language: 'zh-CN', content: '我们会与巨量引擎共享您的手机号。', purposes: [LOOKALIKE], recipients: ['ocean-engine', 'tencent-ads'], dataCategories: ['phone'],
    });
    expect(notice.statusCode).toBe(201);
    return { officer: officer.token, collector, reader, tenantId: officer.tenantId, noticeId: notice.json().id };
  }

  async function record(on: Tenant, subject: string, extra: Record<string, unknown> = {}): Promise<number> {
    const granting = !extra.kind || extra.kind === 'given' || extra.kind === 'guardian_given';
    const response = await post(on.collector, '/v1/consent/events', {
      clientEventId: `e-${++counter}`, subject, purpose: LOOKALIKE, recipient: 'ocean-engine', regime: 'pipl', kind: 'given',
      ...(granting ? { noticeId: on.noticeId } : {}), channel: 'app', source: 'signup', evidence: { ipHash: 'sha256:ab12' },
      collectedAt: new Date(Date.now() + 1_000 + counter).toISOString(), ...extra,
    });
    expect(response.statusCode).toBe(201);
    return response.json().seq;
  }

  const receiptOf = async (on: Tenant, subject: string, seq: number) => {
    const response = await get(on.reader, `/v1/consent/receipts/${seq}?subject=${encodeURIComponent(subject)}`);
    expect(response.statusCode).toBe(200);
    return response.json() as { receipt: string; consentReceiptID: string; checkpointSize: number };
  };
  const claimsOf = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()) as ConsentReceiptClaims;
  const resign = (claims: ConsentReceiptClaims) => signConsentReceipt(claims, api.identity);

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    api = await startTestApp(t);
    // What a third party does: take the key the node publishes.
    nodeKey = fromBase64((await api.app.inject({ url: '/.well-known/accord-node' })).json().publicKey);
  });
  afterAll(async () => {
    await api.app.close();
    await t.dispose();
  });

  it('issues a receipt that a third party verifies with the published node key, sealing a checkpoint when none covers the event', async () => {
    const on = await tenant('receipts');
    const seq = await record(on, 'member-1');
    expect((await get(on.reader, '/v1/consent/checkpoints/latest')).statusCode).toBe(404);
    const issued = await receiptOf(on, 'member-1', seq);
    expect(issued).toMatchObject({ consentReceiptID: `${on.tenantId}:${seq}`, checkpointSize: 1 });
    expect((await get(on.reader, '/v1/consent/checkpoints/latest')).json().treeSize).toBe(1);

    const verified = verifyConsentReceipt(issued.receipt, nodeKey);
    expect(verified).toMatchObject({ ok: true, checkpoint: { treeSize: 1, origin: `accord/${api.identity.nodeId}/${on.tenantId}/consent` } });
    const header = JSON.parse(Buffer.from(issued.receipt.split('.')[0]!, 'base64url').toString());
    expect(header).toEqual({ alg: 'EdDSA', typ: 'accord-consent-receipt+jwt', kid: ed25519JwkThumbprint(nodeKey) });
    const claims = claimsOf(issued.receipt);
    expect(claims).toMatchObject({
      version: 'KI-CR-v1.1.0',
      iss: api.identity.nodeId,
      jurisdiction: 'CN',
      language: 'zh-CN',
      piiPrincipalId: 'member-1',
      piiControllers: [{ piiController: 'Test brand' }],
      services: [{ purposes: [{ purpose: LOOKALIKE, consentType: 'EXPLICIT', piiCategory: ['phone'], thirdPartyDisclosure: true, thirdPartyName: 'ocean-engine', termination: expect.stringMatching(/^until withdrawn, or until .* \(365 days after collection\)$/) }] }],
      consentStatus: `${DPV}ConsentGiven`,
      separateConsentType: ['provisionToThirdParty'],
      recipient: 'ocean-engine',
      crossBorder: null,
      guardian: null,
      notice: { id: on.noticeId, noticeKey: 'privacy', version: 1 },
      ledger: { seq, inclusionProof: [] },
    });

    // Later events: the old receipt's checkpoint still covers seq 1; a new event gets a new checkpoint.
    await record(on, 'member-2');
    const withdrawn = await record(on, 'member-1', { kind: 'withdrawn' });
    expect((await receiptOf(on, 'member-1', seq)).checkpointSize).toBe(1);
    const later = await receiptOf(on, 'member-1', withdrawn);
    expect(later.checkpointSize).toBe(3);
    const laterClaims = verifyConsentReceipt(later.receipt, nodeKey);
    expect(laterClaims).toMatchObject({ ok: true, claims: { consentStatus: `${DPV}ConsentWithdrawn`, language: 'und', notice: null, ledger: { seq: 3 } } });
  });

  it("names a guardian in a minor's receipt", async () => {
    const on = await tenant('guardians');
    const seq = await record(on, 'minor-1', { kind: 'guardian_given', subjectIsMinor: true, evidence: { guardianReference: 'guardian-hash:9f2c' } });
    const verified = verifyConsentReceipt((await receiptOf(on, 'minor-1', seq)).receipt, nodeKey);
    expect(verified).toMatchObject({ ok: true, claims: { guardian: { reference: 'guardian-hash:9f2c' }, consentStatus: `${DPV}ConsentGiven` } });
  });

  it("answers another person's event exactly like a missing one", async () => {
    const on = await tenant('receipt-oracle');
    const seq = await record(on, 'member-1');
    const strip = (body: Record<string, unknown>) => ({ ...body, instance: undefined, requestId: undefined, detail: undefined });
    const others = await get(on.reader, `/v1/consent/receipts/${seq}?subject=member-2`);
    const missing = await get(on.reader, `/v1/consent/receipts/${seq + 50}?subject=member-2`);
    expect(others.statusCode).toBe(404);
    expect(missing.statusCode).toBe(404);
    expect(strip(others.json())).toEqual(strip(missing.json()));
    expect(others.json().detail.replace(String(seq), 'N')).toBe(missing.json().detail.replace(String(seq + 50), 'N'));
    expect((await get(on.collector, `/v1/consent/receipts/${seq}?subject=member-1`)).statusCode).toBe(403);
  });

  it('fails verification when any part of a receipt is tampered with', async () => {
    const on = await tenant('tamper');
    await record(on, 'member-0');
    const seq = await record(on, 'member-1');
    await record(on, 'member-2');
    const other = await record(on, 'member-2', { kind: 'refused' });
    const good = (await receiptOf(on, 'member-1', seq)).receipt;
    expect(verifyConsentReceipt(good, nodeKey).ok).toBe(true);
    const claims = claimsOf(good);
    const otherClaims = claimsOf((await receiptOf(on, 'member-2', other)).receipt);
    const [header, payload, signature] = good.split('.') as [string, string, string];
    const edit = (change: (c: ConsentReceiptClaims) => void) => {
      const copy = structuredClone(claims);
      change(copy);
      return resign(copy);
    };
    const replaceRecord = (c: ConsentReceiptClaims, rewrite: (event: Record<string, unknown>) => string) => {
      const altered = new TextEncoder().encode(rewrite(JSON.parse(Buffer.from(fromBase64url(c.ledger.eventRecord)!).toString())));
      c.ledger.eventRecord = base64url(altered);
      c.ledger.leafHash = Buffer.from(leafHash(altered)).toString('hex');
    };
    const flip = (hex: string) => (hex[0] === '0' ? '1' : '0') + hex.slice(1);
    const stranger = generateSigningKeyPair();
    const checkpoint = decodeCheckpoint(fromBase64(claims.ledger.checkpoint.body));

    const tampered: Array<[string, string, Uint8Array, string]> = [
      ['a flipped signature byte', `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`, nodeKey, 'signature'],
      ['a payload changed after signing', `${header}.${base64url(new TextEncoder().encode(JSON.stringify({ ...claims, piiPrincipalId: 'member-2' })))}.${signature}`, nodeKey, 'signature'],
      ['a header changed after signing', `${base64url(new TextEncoder().encode(JSON.stringify({ alg: 'EdDSA', typ: 'accord-consent-receipt+jwt', kid: 'x' })))}.${payload}.${signature}`, nodeKey, 'signature'],
      ['another node key', good, stranger.publicKey, 'signature'],
      ['the receipt replayed for another subject', edit((c) => (c.piiPrincipalId = 'member-2')), nodeKey, "piiPrincipalId differs"],
      ['another status', edit((c) => (c.consentStatus = `${DPV}ConsentRefused`)), nodeKey, 'consentStatus differs'],
      ['another recipient', edit((c) => (c.recipient = 'tencent-ads')), nodeKey, 'recipient differs'],
      ['another collection time', edit((c) => (c.consentTimestamp -= 3600)), nodeKey, 'consentTimestamp differs'],
      ['a wrong leaf hash', edit((c) => (c.ledger.leafHash = flip(c.ledger.leafHash))), nodeKey, 'does not hash to the leaf hash'],
      ['an altered event record', edit((c) => replaceRecord(c, (event) => JSON.stringify({ ...event, kind: 'refused' }))), nodeKey, 'consentStatus differs'],
      ['a record in another byte form', edit((c) => replaceRecord(c, (event) => JSON.stringify(event, null, 1))), nodeKey, 'not a canonical consent event'],
      ["another event's record and leaf", edit((c) => {
        c.ledger.eventRecord = otherClaims.ledger.eventRecord;
        c.ledger.leafHash = otherClaims.ledger.leafHash;
      }), nodeKey, 'differs from the logged event'],
      ['a claimed seq that is not the record', edit((c) => (c.ledger.seq = other)), nodeKey, 'seq differs'],
      ['a changed inclusion proof', edit((c) => (c.ledger.inclusionProof[0] = flip(c.ledger.inclusionProof[0]!))), nodeKey, 'inclusion proof'],
      ['a dropped proof step', edit((c) => c.ledger.inclusionProof.pop()), nodeKey, 'inclusion proof'],
      ['a checkpoint of another size, unsigned', edit((c) => (c.ledger.checkpoint.body = Buffer.from(new TextDecoder().decode(fromBase64(c.ledger.checkpoint.body)).replace(/\n4\n/, '\n5\n')).toString('base64'))), nodeKey, 'checkpoint is malformed or not signed'],
      ['a checkpoint signed by another key', edit((c) => (c.ledger.checkpoint.signature = Buffer.from(signCheckpoint(checkpoint, stranger.secretKey).signature).toString('base64'))), nodeKey, 'checkpoint is malformed or not signed'],
      ["a checkpoint of another tenant's log, signed by the node", edit((c) => {
        const body = signCheckpoint({ ...checkpoint, origin: `accord/${api.identity.nodeId}/00000000-0000-4000-8000-000000000000/consent` }, new Uint8Array(32)).body;
        c.ledger.checkpoint = { body: Buffer.from(body).toString('base64'), signature: Buffer.from(api.identity.sign(body)).toString('base64') };
      }), nodeKey, "another node's or tenant's log"],
      ['a malformed claim', edit((c) => ((c as unknown as Record<string, unknown>).ledger = 'none')), nodeKey, 'malformed'],
    ];
    expect(claims.ledger.inclusionProof.length).toBeGreaterThan(1);
    for (const [name, jws, key, problem] of tampered) {
      const result = verifyConsentReceipt(jws, key);
      expect({ name, ok: result.ok }).toEqual({ name, ok: false });
      expect({ name, problem: result.ok ? '' : result.problem }).toEqual({ name, problem: expect.stringContaining(problem) });
    }
  });

  it("returns a person's history with proofs, and a stranger's answer looks like a subject without events", async () => {
    const on = await tenant('history');
    const first = await record(on, 'member-1');
    await record(on, 'member-9');
    const second = await record(on, 'member-1', { recipient: 'tencent-ads' });
    const third = await record(on, 'member-1', { kind: 'withdrawn' });
    const response = await get(on.reader, '/v1/consent/history?subject=member-1');
    expect(response.statusCode).toBe(200);
    const history = response.json();
    expect(history.events.map((e: { seq: number }) => e.seq)).toEqual([first, second, third]);
    expect(history.events.map((e: { status: string }) => e.status)).toEqual([`${DPV}ConsentGiven`, `${DPV}ConsentGiven`, `${DPV}ConsentWithdrawn`]);
    expect(history.state).toEqual([
      expect.objectContaining({ recipient: 'ocean-engine', regime: 'pipl', granted: false, status: `${DPV}ConsentWithdrawn`, decidedBySeq: third }),
      expect.objectContaining({ recipient: 'tencent-ads', regime: 'pipl', granted: true, status: `${DPV}ConsentGiven`, decidedBySeq: second }),
    ]);
    const checkpoint = openCheckpoint(fromBase64(history.checkpoint.body), fromBase64(history.checkpoint.signature), nodeKey)!;
    expect(checkpoint.treeSize).toBe(4);
    for (const event of history.events) {
      const leaf = leafHash(fromBase64url(event.record)!);
      expect(Buffer.from(leaf).toString('hex')).toBe(event.leafHash);
      expect(verifyInclusion(leaf, event.seq - 1, checkpoint.treeSize, event.inclusionProof.map(fromHex), checkpoint.rootHash)).toBe(true);
    }
    // The record a client hashes is the one the ledger chains: rebuilt from the listed fields, it matches.
    const e = history.events[0];
    const rebuilt = consentEventRecord({ ...e, tenantId: on.tenantId, subject: 'member-1', recipient: e.recipient ?? '', collectedAt: new Date(e.collectedAt), receivedAt: new Date(e.receivedAt) });
    expect(base64url(rebuilt)).toBe(e.record);

    // member-x exists in another tenant only; never-seen exists nowhere. Both look like no events here.
    const elsewhere = await tenant('history-elsewhere');
    await record(elsewhere, 'member-x');
    const known = await get(on.reader, '/v1/consent/history?subject=member-x');
    const stranger = await get(on.reader, '/v1/consent/history?subject=never-seen');
    expect(known.statusCode).toBe(200);
    expect(stranger.statusCode).toBe(200);
    expect({ ...known.json(), subject: 's' }).toEqual({ ...stranger.json(), subject: 's' });
    expect(stranger.json()).toEqual({ subject: 'never-seen', checkpoint: history.checkpoint, events: [], state: [] });
    expect(known.headers['content-length']).toBe(String(Number(stranger.headers['content-length']) + 'member-x'.length - 'never-seen'.length));
    expect((await get(on.collector, '/v1/consent/history?subject=member-1')).statusCode).toBe(403);
    expect((await get(on.reader, '/v1/consent/history')).json().code).toBe('ACCORD_ERR_VALIDATION');
  });

  it('proves that a grown log is consistent with an older checkpoint, and a rewritten history fails', async () => {
    const on = await tenant('audit');
    for (let i = 0; i < 3; i++) await record(on, `member-${i}`);
    const held = (await post(on.officer, '/v1/consent/checkpoints', {})).json(); // the auditor keeps this
    for (let i = 3; i < 7; i++) await record(on, `member-${i}`);
    const grown = (await post(on.officer, '/v1/consent/checkpoints', {})).json();
    expect([held.treeSize, grown.treeSize]).toEqual([3, 7]);

    const proven = (await get(on.reader, '/v1/consent/checkpoints/consistency?from=3')).json();
    expect(proven).toMatchObject({ oldSize: 3, newSize: 7, checkpoint: grown });
    const signed = openCheckpoint(fromBase64(proven.checkpoint.body), fromBase64(proven.checkpoint.signature), nodeKey)!;
    expect(verifyConsistency(3, 7, fromHex(held.rootHash), signed.rootHash, proven.proof.map(fromHex))).toBe(true);
    expect((await get(on.reader, '/v1/consent/checkpoints/consistency?from=3&to=7')).json()).toEqual(proven);
    expect((await get(on.reader, '/v1/consent/checkpoints/consistency?from=3&to=5')).statusCode).toBe(404);
    const rollback = await get(on.reader, '/v1/consent/checkpoints/consistency?from=9');
    expect(rollback.statusCode).toBe(400);
    expect(rollback.json().code).toBe('ACCORD_ERR_INVALID_INPUT');

    // An operator with the owner role edits event 2 behind the signed checkpoints: the node refuses to prove from it...
    await sql`alter table consent_events disable trigger append_only`.execute(t.db);
    await sql`update consent_events set kind = 'refused' where tenant_id = ${on.tenantId} and seq = 2`.execute(t.db);
    await sql`alter table consent_events enable trigger append_only`.execute(t.db);
    const refused = await get(on.reader, '/v1/consent/checkpoints/consistency?from=3');
    expect(refused.statusCode).toBe(500);
    expect(refused.json().code).toBe('ACCORD_ERR_CONSENT_LOG_ALTERED');
    expect((await get(on.reader, '/v1/consent/history?subject=member-1')).json().code).toBe('ACCORD_ERR_CONSENT_LOG_ALTERED');

    // ...and when the checkpoints are thrown away and the rewritten log re-signed, the auditor's old checkpoint exposes it.
    await sql`alter table consent_checkpoints disable trigger append_only`.execute(t.db);
    await sql`delete from consent_checkpoints where tenant_id = ${on.tenantId}`.execute(t.db);
    await sql`alter table consent_checkpoints enable trigger append_only`.execute(t.db);
    await record(on, 'member-7');
    const resealed = (await post(on.officer, '/v1/consent/checkpoints', {})).json();
    const forked = (await get(on.reader, '/v1/consent/checkpoints/consistency?from=3')).json();
    expect(forked).toMatchObject({ oldSize: 3, newSize: 8 });
    expect(verifyConsistency(3, 8, fromHex(held.rootHash), fromHex(resealed.rootHash), forked.proof.map(fromHex))).toBe(false);
    const fromGrown = (await get(on.reader, '/v1/consent/checkpoints/consistency?from=7')).json();
    expect(verifyConsistency(7, 8, fromHex(grown.rootHash), fromHex(resealed.rootHash), fromGrown.proof.map(fromHex))).toBe(false);
  });

  it('schedules periodic sealing for the privacy officer, once per tenant', async () => {
    const on = await tenant('schedule');
    expect((await post(on.officer, '/v1/consent/checkpoints/schedule', { everySeconds: 0 })).json().code).toBe('ACCORD_ERR_VALIDATION');
    expect((await post(on.reader, '/v1/consent/checkpoints/schedule', { everySeconds: 60 })).statusCode).toBe(403);
    const started = await post(on.officer, '/v1/consent/checkpoints/schedule', { everySeconds: 60 });
    expect(started.statusCode).toBe(202);
    expect(started.json()).toMatchObject({ everySeconds: 60, started: true });
    const changed = (await post(on.officer, '/v1/consent/checkpoints/schedule', { everySeconds: 300 })).json();
    expect(changed).toEqual({ jobId: started.json().jobId, everySeconds: 300, started: false });
    const jobs = await t.db.selectFrom('jobs').select(['name', 'payload', 'status']).where('tenant_id', '=', on.tenantId).execute();
    expect(jobs).toEqual([{ name: 'consent.checkpoint.seal', payload: { everySeconds: 300 }, status: 'pending' }]);
  });
});

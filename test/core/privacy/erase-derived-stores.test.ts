import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsentGate } from '../../../core/consent/consent-gate.ts';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import type { Identifier } from '../../../core/identifiers/identifier.ts';
import { IdentifierKeys } from '../../../core/identifiers/identifier-keys.ts';
import { consentSubjectOf } from '../../../core/one-id/person-subject.ts';
import { eraseSubject } from '../../../core/privacy/erase-subject.ts';
import { exportSubjectData } from '../../../core/privacy/export-subject-data.ts';
import { readRemovals } from '../../../core/privacy/privacy-request-removals.ts';
import { subjectExportSections } from '../../../core/privacy/subject-export-sections.ts';
import { SubjectVault } from '../../../core/privacy/subject-vault.ts';
import { storeMatches, storePayloads } from '../../../core/psi/psi-matches.ts';
import { createSegment, findSegment, membershipChanges, segmentMemberIds } from '../../../core/segments/segment-store.ts';
import { setFirstPartyRegime } from '../../../core/tenancy/first-party-regime.ts';
import { ensureTenant, type Tenant } from '../../../core/tenancy/tenants.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';
import { identifierOf, ingestPerson, erasureInProgress } from './resolved-persons.ts';

const masterKey = new Uint8Array(32).fill(7);
const keys = { vault: new SubjectVault(masterKey), identifiers: new IdentifierKeys(masterKey) };
const email = identifierOf('email', 'li.wei@example.com');
const phone = identifierOf('phone', '138 0013 8000');
const device = identifierOf('idfa', '6D92078A-8246-4BA4-AE5B-76104861E7DC');
const otherEmail = identifierOf('email', 'someone@example.com');
const tags = (value: string) => new TextEncoder().encode(JSON.stringify({ interest: value }));

describe.each(storageBackends)('erasure of derived stores on %s', (backend) => {
  let t: TestDatabase;
  let tenant: Tenant;
  const inTenant = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, tenant.id, work);
  const ingest = (...identifiers: Identifier[]) => inTenant((trx) => ingestPerson(trx, keys.identifiers, identifiers));
  const startedErasure = (subject: string) => inTenant((trx) => erasureInProgress(trx, subject));
  const exported = async (subject: string) => {
    let text = '';
    for await (const chunk of exportSubjectData(inTenant, subjectExportSections(keys.vault), subject, {})) text += chunk;
    return JSON.parse(text) as { psiMatches: Array<Record<string, unknown>>; segmentMemberships: Array<Record<string, unknown>> };
  };
  /** A finished run of a collaboration that stored these matches and payloads. */
  const storedRun = (collaborationId: string, matches: Map<number, string>, payloads: Map<number, Uint8Array>) =>
    inTenant(async (trx) => {
      const runId = randomUUID();
      await trx
        .insertInto('psi_runs')
        .values({ tenant_id: tenant.id, id: runId, collaboration_id: collaborationId, role: 'client', peer_node_id: randomUUID(), suite: 'ristretto255', mode: 'payload', id_types: ['email', 'idfa'], segment_id: null, status: 'finished', client_learns_members: true, server_learns_members: false, error: null, key_sealed: null, started_by: 'test', finished_at: new Date() })
        .execute();
      await storeMatches(trx, runId, matches);
      await storePayloads(trx, runId, payloads);
      return runId;
    });

  beforeEach(async () => {
    t = await openTestDatabase(backend);
    tenant = await ensureTenant(t.db, 'brand');
    // Segments take only persons the gate allows for profiling: an opt-out regime allows silence.
    await setFirstPartyRegime(t.db, tenant.id, 'ccpa', 'test');
  });
  afterEach(() => t.dispose());

  it('removes the person and everyone merged into them from segments, stored matches and payloads, per store, and the export follows', async () => {
    const person = await ingest(email, phone);
    const deviceOnly = await ingest(device);
    const other = await ingest(otherEmail);
    const segment = await inTenant((trx) => createSegment(trx, new ConsentGate(), { name: 'crm list', kind: 'imported', identifiers: [email, device, otherEmail].map(({ type, value }) => ({ type, value })) }, 'test', { identifierKeys: keys.identifiers }));
    expect(segment.refresh.memberCount).toBe(3);
    const collaborationId = randomUUID();
    await inTenant((trx) =>
      trx.insertInto('collaborations').values({ tenant_id: tenant.id, id: collaborationId, terms: JSON.stringify({ name: 'Spring launch', purpose: 'audience.matching' }), terms_hash: new Uint8Array(32), origin_node_id: randomUUID(), created_by: 'test' }).execute(),
    );
    const runId = await storedRun(
      collaborationId,
      new Map([[person, 'email'], [deviceOnly, 'idfa'], [other, 'email']]),
      new Map([[person, tags('outdoor')], [other, tags('books')]]),
    );
    // The device's person is merged into the first after the run: its match is the same person's.
    expect(await ingest(phone, device)).toBe(person);

    const subject = consentSubjectOf(person);
    const before = await exported(subject);
    expect(before.segmentMemberships).toEqual([{ segmentId: segment.segment.id, name: 'crm list', kind: 'imported' }]);
    expect(before.psiMatches).toEqual(
      expect.arrayContaining([
        { runId, collaborationId, collaboration: 'Spring launch', purpose: 'audience.matching', role: 'client', matchedOn: 'email', matchedAt: expect.any(String), payloadReceived: true, partnerTags: { interest: 'outdoor' } },
        expect.objectContaining({ runId, matchedOn: 'idfa', payloadReceived: false, partnerTags: null }),
      ]),
    );
    expect(before.psiMatches).toHaveLength(2);

    const request = await startedErasure(subject);
    const outcome = await inTenant((trx) => eraseSubject(trx, keys, request, []));
    const removals = [
      { store: 'segment_members', status: 'done', removed: 2 },
      { store: 'psi_match_payloads', status: 'done', removed: 1 },
      { store: 'psi_matches', status: 'done', removed: 2 },
      // Never sent to an ad platform: nothing to queue (test/activation/sync-api.test.ts covers a person who was).
      { store: 'activation_members', status: 'done', removed: 0 },
    ];
    expect(outcome.removals).toEqual(removals);
    expect(await inTenant((trx) => readRemovals(trx, request.id))).toEqual(
      expect.arrayContaining(removals.map((removal) => ({ ...removal, updatedAt: expect.any(Date) }))),
    );

    // The other person stays everywhere; the removal is a refresh of its own, for activation to send.
    expect(await inTenant((trx) => trx.selectFrom('psi_matches').select('person_id').execute())).toEqual([{ person_id: other }]);
    expect(await inTenant((trx) => trx.selectFrom('psi_match_payloads').select('person_id').execute())).toEqual([{ person_id: other }]);
    expect(await inTenant((trx) => segmentMemberIds(trx, segment.segment.id))).toEqual([other]);
    const after = (await inTenant((trx) => findSegment(trx, segment.segment.id)))!;
    expect(after.memberCount).toBe(1);
    expect(await inTenant((trx) => membershipChanges(trx, after.lastRefreshId!))).toEqual({ added: [], removed: [person, deviceOnly].sort((a, b) => a - b) });

    expect(await exported(subject)).toMatchObject({ psiMatches: [], segmentMemberships: [] });
    expect((await exported(consentSubjectOf(other))).psiMatches).toEqual([expect.objectContaining({ runId, partnerTags: { interest: 'books' } })]);

    // Carried out again: nothing left, nothing written.
    const again = await inTenant((trx) => eraseSubject(trx, keys, request, []));
    expect(again.alreadyErased).toBe(true);
    expect(again.removals.every((removal) => removal.removed === 0)).toBe(true);
    expect((await inTenant((trx) => readRemovals(trx, request.id))).map(({ store, removed }) => ({ store, removed }))).toEqual(
      expect.arrayContaining(removals.map(({ store, removed }) => ({ store, removed }))),
    );
  });

  it('keeps stored matches append-only outside an erasure, and refuses updates inside one', async () => {
    const person = await ingest(email);
    const erased = await ingest(otherEmail);
    await storedRun(randomUUID(), new Map([[person, 'email'], [erased, 'email']]), new Map([[person, tags('outdoor')]]));
    // The erasure closes its delete path behind it: the rest of its transaction may not delete.
    const request = await startedErasure(consentSubjectOf(erased));
    await expect(
      inTenant(async (trx) => {
        await eraseSubject(trx, keys, request, []);
        await sql`delete from psi_matches`.execute(trx);
      }),
    ).rejects.toThrow(/is append-only/);
    // Deletes meet the trigger; updates are not even granted.
    for (const statement of [sql`delete from psi_match_payloads`, sql`delete from psi_matches`]) await expect(inTenant((trx) => statement.execute(trx))).rejects.toThrow(/is append-only/);
    for (const statement of [sql`update psi_matches set id_type = 'phone'`, sql`update psi_match_payloads set payload = '{}'`]) {
      await expect(inTenant((trx) => statement.execute(trx))).rejects.toThrow(/permission denied/);
    }
    await expect(
      inTenant(async (trx) => {
        await sql`select set_config('accord.erasure', ${randomUUID()}, true)`.execute(trx);
        await sql`update psi_matches set id_type = 'phone'`.execute(trx);
      }),
    ).rejects.toThrow(/permission denied/);
    // Not even the owner, which the trigger stops alone.
    await expect(sql`update psi_matches set id_type = 'phone'`.execute(t.db)).rejects.toThrow(/is append-only/);
    expect(await inTenant((trx) => trx.selectFrom('psi_matches').select(['person_id', 'id_type']).orderBy('person_id').execute())).toEqual([
      { person_id: person, id_type: 'email' },
      { person_id: erased, id_type: 'email' },
    ]);
  });
});

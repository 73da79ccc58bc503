/**
 * A party's input to a PSI run: the people the consent gate allows for the collaboration's purpose
 * and recipient (a segment's members, or every person of the tenant), and for each identifier type
 * the digests of their identifiers. The gate writes its processing record in the caller's
 * transaction, so a run's input is always on record. Elements are ordered by person and identifier
 * id, so a resumed run rebuilds exactly the same input.
 */
import { sql } from 'kysely';
import type { Regime } from '../../consent/consent-event.ts';
import type { ConsentGate } from '../consent/consent-gate.ts';
import { consentedPersons } from '../consent/consented-persons.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { notFound } from '../errors.ts';
import type { IdentifierKeys } from '../identifiers/identifier-keys.ts';
import { openIdentifiers } from '../identifiers/identifier-store.ts';
import { PSI_DIGEST_BYTES, psiIdTypeOf, writePsiDigest } from './psi-digest.ts';

export interface PsiInputRequest {
  readonly segmentId: number | null;
  readonly idTypes: readonly string[];
  readonly purpose: string;
  /** Every recipient the collaboration names: a person enters only with consent for each of them. */
  readonly recipients: readonly string[];
  readonly regime: Regime;
  readonly collaborationId: string;
  readonly actor: string;
}

/** One identifier type's elements: element i (32 bytes at i·32) belongs to personIds[i]. */
export interface PsiInputSet {
  readonly idType: string;
  readonly personIds: Float64Array;
  readonly digests: Uint8Array;
}

export interface PsiInput {
  readonly consented: number;
  readonly sets: ReadonlyMap<string, PsiInputSet>;
}

const PAGE = 10_000;

async function candidatePersons(trx: TenantTransaction, segmentId: number | null): Promise<number[]> {
  if (segmentId === null) {
    const rows = await trx.selectFrom('persons').select('id').where('merged_into', 'is', null).orderBy('id').execute();
    return rows.map((row) => Number(row.id));
  }
  const segment = await trx.selectFrom('segments').select('id').where('id', '=', segmentId).executeTakeFirst();
  if (!segment) throw notFound(`segment ${segmentId}`);
  // A member absorbed by a merge answers through its survivor, which holds both consents' strictest.
  const { rows } = await sql<{ id: string }>`
    select distinct coalesce(p.merged_into, p.id) as id
    from segment_members m join persons p on p.tenant_id = m.tenant_id and p.id = m.person_id
    where m.tenant_id = ${trx.tenantId}::uuid and m.segment_id = ${segmentId}
    order by 1`.execute(trx);
  return rows.map((row) => Number(row.id));
}

/** How many people a run's input starts from, before the gate: what a party declares to the guard. */
export async function candidateCount(trx: TenantTransaction, segmentId: number | null): Promise<number> {
  const row = segmentId === null
    ? await trx.selectFrom('persons').select((eb) => eb.fn.countAll<string>().as('n')).where('merged_into', 'is', null).executeTakeFirstOrThrow()
    : await trx.selectFrom('segment_members').select((eb) => eb.fn.countAll<string>().as('n')).where('segment_id', '=', segmentId).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function collectPsiInput(trx: TenantTransaction, gate: ConsentGate, keys: IdentifierKeys, request: PsiInputRequest): Promise<PsiInput> {
  const allowed = await consentedPersons(trx, gate, await candidatePersons(trx, request.segmentId), { ...request, activity: 'psi.input' });
  const wantedTypes = request.idTypes.flatMap((type) => [type, `${type}_sha256`]);
  const links = await trx
    .selectFrom('identity_links')
    .select(['identifier_id', 'person_id'])
    .where('identifier_type', 'in', wantedTypes)
    .orderBy('person_id')
    .orderBy('identifier_id')
    .execute();
  const consentedLinks = links.filter((link) => allowed.has(Number(link.person_id)));

  const elements = new Map<string, { persons: number[]; digests: Uint8Array[]; seen: Set<string> }>(request.idTypes.map((type) => [type, { persons: [], digests: [], seen: new Set() }]));
  for (let i = 0; i < consentedLinks.length; i += PAGE) {
    const page = consentedLinks.slice(i, i + PAGE);
    const opened = await openIdentifiers(trx, keys, page.map((link) => Number(link.identifier_id)));
    for (const link of page) {
      const identifier = opened.get(Number(link.identifier_id));
      const idType = identifier && psiIdTypeOf(identifier);
      const set = idType && elements.get(idType);
      if (!identifier || !set) continue;
      const digest = new Uint8Array(PSI_DIGEST_BYTES);
      writePsiDigest(identifier, digest, 0);
      // The raw value and a declared SHA-256 of it are one element.
      const seenKey = Buffer.from(digest).toString('base64');
      if (set.seen.has(seenKey)) continue;
      set.seen.add(seenKey);
      set.persons.push(Number(link.person_id));
      set.digests.push(digest);
    }
  }
  const sets = new Map<string, PsiInputSet>();
  for (const [idType, set] of elements) sets.set(idType, { idType, personIds: Float64Array.from(set.persons), digests: packDigests(set.digests) });
  return { consented: allowed.size, sets };
}

export function packDigests(digests: readonly Uint8Array[]): Uint8Array {
  const packed = new Uint8Array(digests.length * PSI_DIGEST_BYTES);
  digests.forEach((digest, i) => packed.set(digest, i * PSI_DIGEST_BYTES));
  return packed;
}

/**
 * PSI with payload, the provider's side: the values of the collaboration's named tags for each of
 * its elements' persons, as compact JSON ({tag: value}), padded later to one fixed size. Only the
 * tags the collaboration names leave, and only inside payloads a match can open.
 */
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { PAYLOAD_PADDED_BYTES } from './oprf-sets.ts';
import { PsiRunError } from './psi-run-error.ts';

const PAGE = 10_000;
const encoder = new TextEncoder();

export async function tagPayloads(trx: TenantTransaction, personIds: Float64Array, tags: readonly string[]): Promise<Uint8Array[]> {
  const values = new Map<number, Record<string, unknown>>();
  const persons = [...new Set(personIds)];
  for (let i = 0; i < persons.length && tags.length > 0; i += PAGE) {
    const rows = await trx.selectFrom('tag_values').select(['person_id', 'tag_key', 'value']).where('tag_key', 'in', [...tags]).where('person_id', 'in', persons.slice(i, i + PAGE)).execute();
    for (const row of rows) {
      const person = Number(row.person_id);
      values.set(person, { ...values.get(person), [row.tag_key]: row.value });
    }
  }
  return Array.from(personIds, (person) => {
    const bytes = encoder.encode(JSON.stringify(values.get(person) ?? {}));
    if (bytes.length > PAYLOAD_PADDED_BYTES) {
      throw new PsiRunError('ACCORD_ERR_PSI_RUN_INVALID', `person ${person}'s values of ${tags.join(', ')} take ${bytes.length} bytes; a payload holds at most ${PAYLOAD_PADDED_BYTES}`);
    }
    return bytes;
  });
}

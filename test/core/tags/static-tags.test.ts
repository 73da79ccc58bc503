import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import { setStaticTagValues, type StaticTagValueInput } from '../../../core/tags/set-static-tag-values.ts';
import { defineTag } from '../../../core/tags/tag-definitions.ts';
import { TagError } from '../../../core/tags/tag-errors.ts';
import { ensureTenant } from '../../../core/tenancy/tenants.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';
import { addPersons } from './tag-fixtures.ts';

describe.each(storageBackends)('static tags on %s', (backend) => {
  let t: TestDatabase;
  let brand: string;
  let persons: number[];
  let foreignPerson: number;
  const inBrand = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, brand, work);
  const set = (tag: string, items: StaticTagValueInput[]) => inBrand((trx) => setStaticTagValues(trx, tag, items, 'test'));
  const refusal = async (work: Promise<unknown>) => {
    const error = await work.then(() => undefined, (caught: unknown) => caught);
    if (!(error instanceof TagError)) throw new Error(`expected a TagError, got ${String(error)}`);
    return { code: error.code, ...error.extensions };
  };
  const stored = (tag: string) => inBrand((trx) => trx.selectFrom('tag_values').select(['person_id', 'value', 'source']).where('tag_key', '=', tag).orderBy('person_id').execute());

  beforeEach(async () => {
    t = await openTestDatabase(backend);
    brand = (await ensureTenant(t.db, 'brand')).id;
    const other = (await ensureTenant(t.db, 'other')).id;
    persons = await addPersons(t.db, brand, 3);
    foreignPerson = (await addPersons(t.db, other, 1))[0]!;
    await inBrand(async (trx) => {
      await defineTag(trx, { key: 'shoe_size', kind: 'static', valueType: 'number', multiValued: false, description: 'EU shoe size', owner: 'crm' }, 'test');
      await defineTag(trx, { key: 'interests', kind: 'static', valueType: 'text', multiValued: true, description: 'declared interests', owner: 'crm' }, 'test');
      await defineTag(trx, { key: 'everyone', kind: 'sql', valueType: 'boolean', multiValued: false, description: 'all', owner: 'analyst', query: 'select person_id, true as value from persons_v', scheduleSeconds: null }, 'test');
    });
  });
  afterEach(async () => t.dispose());

  it('sets, replaces and removes values; a multi-valued tag keeps a sorted set', async () => {
    expect(await set('shoe_size', [{ personId: persons[0]!, value: 42 }, { personId: persons[1]!, value: 38.5 }])).toEqual({ set: 2, removed: 0 });
    expect(await set('shoe_size', [{ personId: persons[0]!, value: 43 }, { personId: persons[1]!, value: null }])).toEqual({ set: 1, removed: 1 });
    expect(await stored('shoe_size')).toEqual([{ person_id: persons[0], value: 43, source: 'test' }]);
    await set('interests', [{ personId: persons[2]!, value: ['running', 'hiking', 'running'] }]);
    expect(await stored('interests')).toEqual([{ person_id: persons[2], value: ['hiking', 'running'], source: 'test' }]);
  });

  it('validates every value against the tag and writes nothing when one is wrong', async () => {
    const result = await refusal(set('shoe_size', [{ personId: persons[0]!, value: 42 }, { personId: persons[1]!, value: 'forty' }, { personId: persons[2]!, value: [42] }]));
    expect(result).toMatchObject({ code: 'ACCORD_ERR_TAG_VALUE', problems: [{ index: 1, personId: persons[1] }, { index: 2, personId: persons[2] }] });
    expect(await refusal(set('interests', [{ personId: persons[0]!, value: 'hiking' }]))).toMatchObject({ code: 'ACCORD_ERR_TAG_VALUE' });
    expect(await refusal(set('interests', [{ personId: persons[0]!, value: ['x'.repeat(257)] }]))).toMatchObject({ code: 'ACCORD_ERR_TAG_VALUE' });
    expect(await refusal(set('shoe_size', [{ personId: persons[0]!, value: 42 }, { personId: persons[0]!, value: 43 }]))).toMatchObject({ code: 'ACCORD_ERR_TAG_VALUE' });
    expect(await stored('shoe_size')).toEqual([]);
  });

  it("refuses persons that do not exist or belong to another tenant, alike", async () => {
    expect(await refusal(set('shoe_size', [{ personId: persons[0]!, value: 42 }, { personId: foreignPerson, value: 40 }]))).toMatchObject({ code: 'ACCORD_ERR_TAG_UNKNOWN_PERSON', unknownPersonIds: [foreignPerson] });
    expect(await refusal(set('shoe_size', [{ personId: 9_999_999, value: 40 }]))).toMatchObject({ code: 'ACCORD_ERR_TAG_UNKNOWN_PERSON', unknownPersonIds: [9_999_999] });
    expect(await stored('shoe_size')).toEqual([]);
  });

  it('refuses values for a merged person, naming the survivor', async () => {
    await inBrand((trx) => trx.updateTable('persons').set({ merged_into: persons[1]! }).where('id', '=', persons[0]!).execute());
    expect(await refusal(set('shoe_size', [{ personId: persons[0]!, value: 42 }]))).toMatchObject({ code: 'ACCORD_ERR_TAG_UNKNOWN_PERSON', mergedPersons: [{ personId: persons[0], mergedInto: persons[1] }] });
  });

  it('refuses values for a computed tag and more than 10,000 values per call', async () => {
    expect(await refusal(set('everyone', [{ personId: persons[0]!, value: true }]))).toMatchObject({ code: 'ACCORD_ERR_TAG_KIND' });
    const tooMany = Array.from({ length: 10_001 }, (_, index) => ({ personId: index + 1, value: 40 }));
    expect(await refusal(set('shoe_size', tooMany))).toMatchObject({ code: 'ACCORD_ERR_TAG_VALUE' });
  });

  it('sets 10,000 values in one call', async () => {
    const many = await addPersons(t.db, brand, 10_000);
    expect(await set('shoe_size', many.map((personId, index) => ({ personId, value: 35 + (index % 12) })))).toEqual({ set: 10_000, removed: 0 });
    expect(await stored('shoe_size')).toHaveLength(10_000);
  });
});

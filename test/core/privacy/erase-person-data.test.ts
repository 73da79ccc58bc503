import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import type { Identifier } from '../../../core/identifiers/identifier.ts';
import { IdentifierKeys } from '../../../core/identifiers/identifier-keys.ts';
import { suppressedIdentifiers } from '../../../core/identifiers/identifier-suppression.ts';
import { consentSubjectOf } from '../../../core/one-id/person-subject.ts';
import { eraseSubject } from '../../../core/privacy/erase-subject.ts';
import { SubjectVault } from '../../../core/privacy/subject-vault.ts';
import { ensureTenant, type Tenant } from '../../../core/tenancy/tenants.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';
import { identifierOf as identifier, ingestPerson, erasureInProgress } from './resolved-persons.ts';

const masterKey = new Uint8Array(32).fill(5);
const keys = { vault: new SubjectVault(masterKey), identifiers: new IdentifierKeys(masterKey) };

describe.each(storageBackends)("erasing a resolved person's first-party data on %s", (backend) => {
  let t: TestDatabase;
  let tenant: Tenant;
  const inTenant = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, tenant.id, work);
  const ingest = (...identifiers: Identifier[]) => inTenant((trx) => ingestPerson(trx, keys.identifiers, identifiers));
  const count = (table: 'identifiers' | 'identity_links' | 'person_attributes' | 'orders' | 'behaviour_events') =>
    inTenant(async (trx) => Number((await trx.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n));

  beforeEach(async () => {
    t = await openTestDatabase(backend);
    tenant = await ensureTenant(t.db, 'brand');
  });
  afterEach(() => t.dispose());

  it("deletes the person's identifiers, graph links and profile rows, and tombstones every identifier form", async () => {
    const email = identifier('email', ' Li.Wei@Example.com ');
    const phone = identifier('phone', '138 0013 8000');
    const person = await ingest(email, phone);
    // A second person merged into the first brings its own identifier along.
    const device = identifier('idfa', '6D92078A-8246-4BA4-AE5B-76104861E7DC');
    const deviceOnly = await ingest(device);
    expect(await ingest(phone, device)).toBe(person);
    expect(deviceOnly).not.toBe(person);
    const other = await ingest(identifier('email', 'someone@example.com'));
    await inTenant(async (trx) => {
      await trx.insertInto('person_attributes').values({ tenant_id: tenant.id, person_id: person, key: 'city', value: JSON.stringify('上海'), source: 'crm', observed_at: new Date() }).execute();
      const order = await trx.insertInto('orders').values({ tenant_id: tenant.id, external_id: 'o-1', person_id: person, placed_at: new Date(), channel: 'tmall', status: 'paid', currency: 'CNY', amount: '299.00' }).returning('id').executeTakeFirstOrThrow();
      await trx.insertInto('order_items').values({ tenant_id: tenant.id, order_id: order.id, line: 1, sku: 'TENT-2', category: 'outdoor', quantity: 1, amount: '299.00' }).execute();
      await trx.insertInto('behaviour_events').values({ tenant_id: tenant.id, external_id: 'ev-1', person_id: deviceOnly, type: 'page.view', occurred_at: new Date(), channel: 'app', properties: '{}' }).execute();
    });

    const request = await inTenant((trx) => erasureInProgress(trx, consentSubjectOf(person)));
    const outcome = await inTenant((trx) => eraseSubject(trx, keys, request, []));
    expect(outcome.personData).toEqual({ identifiers: 3, attributes: 1, orders: 1, events: 1 });
    expect(outcome.alreadyErased).toBe(false);

    expect(await count('identifiers')).toBe(1);
    expect(await count('identity_links')).toBe(1);
    for (const table of ['person_attributes', 'orders', 'behaviour_events'] as const) expect(await count(table)).toBe(0);
    // Re-importing any of them, raw or as a declared hash, is refused; the other person is untouched.
    const emailSha256 = identifier('email_sha256', (await import('node:crypto')).createHash('sha256').update('li.wei@example.com').digest('hex'));
    expect(await inTenant((trx) => suppressedIdentifiers(trx, [email, phone, device, emailSha256, identifier('email', 'someone@example.com')]))).toEqual([true, true, true, true, false]);
    expect(other).not.toBe(person);

    const again = await inTenant((trx) => eraseSubject(trx, keys, request, []));
    expect(again).toMatchObject({ alreadyErased: true, personData: { identifiers: 0, attributes: 0, orders: 0, events: 0 } });
  });
});

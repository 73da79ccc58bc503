/**
 * Segment rules and rule tags report a wrong rule the same way (issue 14): a 422 whose `issues`
 * each name a path from `rule` and say what is wrong; never an empty path or a bare "Invalid
 * input" at the root. A boolean rule tag's rule selects the same persons as a segment rule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestApp, type TestApp } from '../support/test-app.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';

const tag = { kind: 'rule', valueType: 'boolean', description: 'rule', owner: 'crm' };

describe.each(storageBackends)('rule errors on %s', (backend) => {
  let t: TestDatabase;
  let api: TestApp;
  let token: string;
  const post = (url: string, payload: object) => api.app.inject({ method: 'POST', url, headers: bearer(token), payload });

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    api = await startTestApp(t);
    token = (await api.keyFor('brand', ['admin'])).token;
    const members = await post('/v1/ingest/members/batch', { records: [{ email: 'a@example.com', 'attr.city': '上海' }, { email: 'b@example.com', 'attr.city': '北京' }] });
    expect(members.statusCode, members.body).toBe(201);
  });
  afterAll(async () => {
    await api.app.close();
    await t.dispose();
  });

  it('takes a boolean rule tag\'s rule as a segment rule', async () => {
    const rule = { match: { attribute: 'city', op: '=', value: '上海' } };
    expect((await post('/v1/segments/estimate', { rule })).json()).toEqual({ members: 0 }); // nobody consented to profiling under PIPL
    expect((await post('/v1/segments/estimate', { rule: rule.match })).json()).toEqual({ members: 0 });
    expect((await post('/v1/tags', { ...tag, key: 'in_shanghai', rule })).statusCode).toBe(201);
  });

  it.each([
    ['an unknown operator deep down', { all: [{ attribute: 'city', op: '=', value: '上海' }, { any: [{ tag: 'vip', op: 'like' }] }] }, 'rule.all.1.any.0.op', /op "like" is not one/],
    ['a condition of no known kind', { not: { colour: 'red' } }, 'rule.not', /starts with one of "all", "any", "not", "attribute"/],
    ['an empty all', { all: [] }, 'rule.all', /non-empty array/],
    ['a bad key', { match: { attribute: 'City Name', op: 'exists' } }, 'rule.match.attribute', /lower-case letters/],
  ])('names the path of %s for a segment', async (_name, rule, path, message) => {
    const answer = await post('/v1/segments/estimate', { rule });
    expect(answer.statusCode).toBe(422);
    expect(answer.json()).toMatchObject({ code: 'ACCORD_ERR_SEGMENT_RULE', issues: [{ path, message: expect.stringMatching(message) }] });
    expect(answer.json().detail).toContain(`${path}: `);
    expect(answer.json().detail).not.toMatch(/\(rule\)|: Invalid input$/);
  });

  it.each([
    ['an unknown operator deep down', { match: { all: [{ attribute: 'city', op: '=', value: '上海' }, { any: [{ tag: 'vip', op: 'like' }] }] } }, 'rule.match.all.1.any.0.op', /op "like" is not one/],
    ['a condition of no known kind', { match: { not: { colour: 'red' } } }, 'rule.match.not', /starts with one of "all", "any", "not", "attribute"/],
    ['an unknown order filter', { match: { orders: { withinDays: 90, colour: 'red' }, op: '>=', value: 1 } }, 'rule.match.orders', /colour/],
  ])('names the path of %s for a rule tag, in the same format', async (_name, rule, path, message) => {
    const answer = await post('/v1/tags', { ...tag, key: 'broken', rule });
    expect(answer.statusCode).toBe(422);
    expect(answer.json()).toMatchObject({ code: 'ACCORD_ERR_TAG_RULE_INVALID', issues: [{ path, message: expect.stringMatching(message) }] });
    expect(answer.json().detail).toContain(`${path}: `);
  });
});

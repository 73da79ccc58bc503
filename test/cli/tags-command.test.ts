import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tagsCommand } from '../../cli/tags-command.ts';
import { ConsentGate } from '../../core/consent/consent-gate.ts';
import { runAccord } from '../support/accord-process.ts';
import { storageBackends } from '../support/test-database.ts';
import { openCliFixture, type CliFixture } from './cli-fixture.ts';

describe.each(storageBackends)('accord tags on %s', (backend) => {
  let f: CliFixture;
  const gate = new ConsentGate();
  const tags = (...args: string[]) => f.run((config, rest) => tagsCommand(config, gate, rest), [...args, '--tenant', 'acme']);
  const json = async (...args: string[]) => {
    const { out, error } = await tags(...args, '--json');
    if (error) throw error;
    return JSON.parse(out);
  };
  const personTags = async (ref: string) => (await json('person', ref)).values.map((v: { tag: string; value: unknown }) => [v.tag, v.value]);

  beforeAll(async () => {
    f = await openCliFixture(backend);
  });
  afterAll(async () => {
    await f.dispose();
  });

  it('defines a static tag and sets its values from a CSV keyed by identifier, all or nothing unless lenient', async () => {
    expect((await tags('define', 'vip', '--type', 'boolean', '--description', 'VIP club', '--owner', 'crm')).out).toBe('defined static tag vip (boolean)');
    const values = f.file('vip.csv', 'email,value\nU1@Example.com,true\nu2@example.com,false\nnobody@example.com,true\n');

    const strict = await tags('set', 'vip', values);
    expect(strict.error).toMatchObject({ code: 'ACCORD_ERR_TAG_UNKNOWN_PERSON', message: 'row 4: no person in acme has this email; nothing was set (--lenient skips such rows)' });
    expect(await personTags('email=u1@example.com')).toEqual([]);

    expect((await tags('set', 'vip', values, '--lenient')).out).toBe('tag vip: 2 set, 0 removed, 1 rows skipped (no such person)');
    expect(await personTags('email=u1@example.com')).toEqual([['vip', true]]);
    expect(await personTags('email=u2@example.com')).toEqual([['vip', false]]);

    // An empty value removes the person's value.
    expect((await tags('set', 'vip', f.file('remove.csv', 'email,value\nu2@example.com,\n'))).out).toBe('tag vip: 0 set, 1 removed');
    expect(await personTags('email=u2@example.com')).toEqual([]);

    const table = (await tags('list')).out.split('\n');
    expect(table[0]).toMatch(/^key +kind +valueType +multiValued/);
    expect(table[1]).toMatch(/^vip +static +boolean +false/);
  });

  it('takes person ids, collects one row per value for a multi-valued tag, and names the row of a bad value', async () => {
    await tags('define', 'interests', '--type', 'text', '--multi', '--description', 'Interests', '--owner', 'crm');
    const first = (await json('person', 'email=u3@example.com')).personId as number;
    const rows = f.file('interests.csv', `person_id,value\n${first},tennis\n${first},golf\n${first},golf\n`);
    expect((await tags('set', 'interests', rows)).out).toBe('tag interests: 1 set, 0 removed');
    expect(await personTags(String(first))).toEqual([['interests', ['golf', 'tennis']]]);

    await tags('define', 'points', '--type', 'number', '--description', 'Points', '--owner', 'crm');
    const bad = await tags('set', 'points', f.file('points.csv', `person_id,value\n${first},12.5\n${first + 1},lots\n`));
    expect(bad.error).toMatchObject({ code: 'ACCORD_ERR_TAG_VALUE', message: 'row 3: expected a finite number (tag points is number); nothing was set' });
    const twice = await tags('set', 'points', f.file('twice.csv', `person_id,value\n${first},1\n${first},2\n`));
    expect(twice.error).toMatchObject({ code: 'ACCORD_ERR_TAG_VALUE', message: `rows 2, 3 give person ${first} several values, but tag points holds one; nothing was set` });
    expect(await personTags(String(first))).toEqual([['interests', ['golf', 'tennis']]]);
    const noKey = await tags('set', 'points', f.file('nokey.csv', 'city,value\n上海,1\n'));
    expect(noKey.error?.message).toMatch(/^the CSV needs a value column and one column naming the person/);
  });

  it('defines rule and SQL tags from files and computes them now, with a processing record', async () => {
    const rule = f.file('shanghai.json', JSON.stringify({ match: { attribute: 'city', op: '=', value: '上海' } }));
    expect((await tags('define', 'in_shanghai', '--type', 'boolean', '--rule', rule, '--description', 'Lives in Shanghai', '--owner', 'crm')).out).toBe('defined rule tag in_shanghai (boolean)');
    const computed = await json('compute', 'in_shanghai');
    expect(computed).toMatchObject({ tag: 'in_shanghai', persons: 12, processingRecordId: expect.any(String) });
    expect(await personTags('email=u5@example.com')).toEqual([['in_shanghai', true]]);

    const query = f.file('everyone.sql', 'select person_id, true as value from persons_v\n');
    await tags('define', 'everyone', '--type', 'boolean', '--sql', query, '--description', 'All', '--owner', 'analyst');
    expect((await tags('compute', 'everyone')).out).toMatch(/^tag everyone computed: 13 persons; processing record [0-9a-f-]{36}$/);
    expect((await json('list')).tags.find((t: { key: string }) => t.key === 'everyone')).toMatchObject({ kind: 'sql', query: 'select person_id, true as value from persons_v', lastComputedAt: expect.any(String) });

    expect((await tags('compute', 'builtins')).out).toMatch(/^built-in tags computed: rfm \d+, lifecycle \d+, clv \d+ persons; processing record /);
    expect((await tags('compute', 'vip')).error).toMatchObject({ code: 'ACCORD_ERR_TAG_KIND' });
    const badRule = f.file('bad-rule.json', JSON.stringify({ match: { attribute: 'no_such', op: 'exists' } }));
    expect((await tags('define', 'bad_rule', '--type', 'boolean', '--rule', badRule, '--description', 'x', '--owner', 'x')).error).toMatchObject({ code: 'ACCORD_ERR_TAG_RULE_INVALID' });
  });

  it('refuses wrong use with one clear message', async () => {
    const messages = async (...args: string[]) => (await tags(...args)).error?.message.split('\n')[0];
    expect(await messages('define', 'Bad-Key', '--type', 'boolean', '--description', 'x', '--owner', 'x')).toBe('tag key "Bad-Key": lower-case letters, digits and _, starting with a letter, at most 63');
    expect(await messages('define', 'k', '--description', 'x', '--owner', 'x')).toBe('--type is one of boolean, number, text');
    expect(await messages('define', 'k', '--type', 'text', '--owner', 'x')).toBe('give --description (1 to 2000 characters)');
    expect(await messages('define', 'k', '--type', 'text', '--description', 'x', '--owner', 'x', '--schedule', '3600')).toBe('only a rule or SQL tag has a --schedule');
    expect(await messages('define', 'k', '--type', 'text', '--description', 'x', '--owner', 'x', '--rule', f.file('r.json', '{'), '--sql', 'q.sql')).toBe('a tag has a rule or SQL, not both');
    expect(await messages('define', 'k', '--type', 'boolean', '--description', 'x', '--owner', 'x', '--rule', f.file('broken.json', '{'))).toMatch(/broken\.json is not valid JSON/);
    expect(await messages('define', 'vip', '--type', 'boolean', '--description', 'x', '--owner', 'x')).toBe('tag vip already exists');
    expect(await messages('frobnicate')).toBe('unknown tags command "frobnicate"');
    expect(await messages('set', 'vip')).toBe('usage: accord tags set <key> <values.csv> [--lenient] [--tenant slug] [--json]');
    expect(await messages('person', 'fax=123')).toMatch(/^name the person by id or as type=value/);
    expect(await messages('person', '999999')).toBe('person not found');
    expect((await f.run((config, rest) => tagsCommand(config, gate, rest), ['list', '--tenant', 'nobody'])).error?.message).toBe('no tenant "nobody"');
  });

  it('runs as the accord command, one line and exit 1 on a refusal', async () => {
    const listed = await runAccord(['tags', 'list', '--tenant', 'acme', '--json'], f.env);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).tags.map((t: { key: string }) => t.key)).toContain('vip');
    const refused = await runAccord(['tags', 'compute', 'nope', '--tenant', 'acme'], f.env);
    expect(refused).toMatchObject({ code: 1, stderr: 'accord: tag not found\n' });
  });
});

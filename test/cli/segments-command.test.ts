import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segmentsCommand } from '../../cli/segments-command.ts';
import { tenantsCommand } from '../../cli/tenants-command.ts';
import { ConsentGate } from '../../core/consent/consent-gate.ts';
import { publishNotice } from '../../core/consent/notices.ts';
import { definePurpose } from '../../core/consent/purposes.ts';
import { recordConsentEvent } from '../../core/consent/record-consent-event.ts';
import { databaseTargetOf, openDatabase } from '../../core/db/open-database.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { consentSubjectOf } from '../../core/one-id/person-subject.ts';
import { findTenant } from '../../core/tenancy/tenants.ts';
import { runAccord } from '../support/accord-process.ts';
import { storageBackends } from '../support/test-database.ts';
import { openCliFixture, type CliFixture } from './cli-fixture.ts';

describe.each(storageBackends)('accord segments on %s', (backend) => {
  let f: CliFixture;
  const gate = new ConsentGate();
  const segments = (...args: string[]) => f.run((config, rest) => segmentsCommand(config, gate, rest), [...args, '--tenant', 'acme']);
  const json = async (...args: string[]) => {
    const { out, error } = await segments(...args, '--json');
    if (error) throw error;
    return JSON.parse(out);
  };
  const shanghai = () => f.file('shanghai.json', JSON.stringify({ attribute: 'city', op: '=', value: '上海' }));

  beforeAll(async () => {
    f = await openCliFixture(backend);
  });
  afterAll(async () => {
    await f.dispose();
  });

  it("takes docs/first-party/cli.md's rule file, the one `accord tags define --rule` takes, and says where a rule is wrong", async () => {
    const doc = await readFile(join(process.cwd(), 'docs', 'first-party', 'cli.md'), 'utf8');
    const example = /<!-- example: file shanghai-tag\.json -->\n```json\n(.*)\n```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    expect((await segments('estimate', f.file('doc-shanghai.json', example!))).out).toBe('the rule selects 12 persons now');
    const wrong = await segments('estimate', f.file('wrong.json', JSON.stringify({ match: { all: [{ attribute: 'city', op: '=', value: '上海' }, { tag: 'vip', op: 'like' }] } })));
    expect(wrong.error?.message).toBe('the segment rule is not valid: rule.match.all.1.op: op "like" is not one this condition takes');
  });

  it('estimates a rule, creates a dynamic segment from it, refreshes, lists and portrays it k-anonymously', async () => {
    expect((await segments('estimate', shanghai())).out).toBe('the rule selects 12 persons now');
    const created = await json('create', 'Shanghai', '--rule', shanghai(), '--kind', 'dynamic');
    expect(created).toMatchObject({ segment: { name: 'Shanghai', kind: 'dynamic', memberCount: 12 }, refresh: { added: 12, removed: 0, memberCount: 12 } });
    const id = String(created.segment.id);
    expect((await segments('refresh', id)).out).toMatch(new RegExp(`^segment ${id} refresh \\d+: 0 added, 0 removed, 12 members$`));
    expect((await segments('members', id)).out).toBe(`segment ${id}: 12 members`);
    const list = (await segments('list')).out.split('\n');
    expect(list[0]).toMatch(/^id +name +kind +memberCount/);
    expect(list[1]).toMatch(new RegExp(`^${id} +Shanghai +dynamic +12 `));

    const portrait = await json('portrait', id, '--by', 'attribute:city', '--by', 'age_band');
    expect(portrait).toEqual({
      segmentId: Number(id),
      members: 12,
      k: 10,
      suppressed: false,
      distributions: [
        { dimension: { attribute: 'city' }, cells: [{ value: '上海', count: 12 }] },
        { dimension: { builtIn: 'age_band' }, cells: [{ value: '(none)', count: 12 }] },
      ],
    });
    expect((await segments('portrait', id, '--by', 'attribute:city')).out).toBe(`segment ${id}: 12 members, cells of at least 10\n\nattribute city\nvalue  count\n上海   12`);
    // Under k members, no distribution at all.
    expect((await segments('portrait', id, '--by', 'attribute:city', '--k', '13')).out).toBe(`segment ${id} has 12 members, fewer than k = 13: no portrait`);
    expect((await segments('portrait', id, '--by', 'attribute:city', '--k', '2')).error?.message).toBe('--k is a whole number from 10 to 10000');
  });

  it('imports a segment from a CSV of identifiers and reports what matched', async () => {
    const list = f.file('list.csv', 'email,phone\nu1@example.com,\nU2@EXAMPLE.COM,\nnobody@example.com,\nnot-an-email,13800138000\n');
    const created = await json('create', 'Uploaded', '--identifiers', list);
    expect(created.segment).toMatchObject({ kind: 'imported', memberCount: 2, importReport: { identifiers: 5, matched: 2, unmatched: 3, invalid: { email_at_sign: 1 } } });
    expect((await segments('create', 'Again', '--identifiers', list)).out).toMatch(/^created imported segment \d+ "Again": 2 members; 2 of 5 identifiers matched$/);
    expect((await segments('refresh', String(created.segment.id))).error).toMatchObject({ code: 'ACCORD_ERR_SEGMENT_KIND' });
    expect((await segments('create', 'Bad', '--identifiers', f.file('bad.csv', 'email,city\na@b.c,上海\n'))).error?.message).toBe(`${f.dir}/bad.csv: column "city" is not an identifier type (email, phone, wechat_openid@<app id>, ...)`);
  });

  it('counts members for a purpose only through the consent gate', async () => {
    const id = String((await json('create', 'For SMS', '--rule', shanghai())).segment.id);
    const database = await openDatabase(databaseTargetOf(f.config));
    try {
      const tenant = (await findTenant(database.db, 'acme'))!;
      await withTenant(database.db, tenant.id, async (trx) => {
        await definePurpose(trx, { key: 'marketing.sms', name: 'SMS', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, retentionDays: null, sensitiveCategory: null, requiresNamedRecipient: false, crossBorder: false, publicDisclosure: false });
        const notice = await publishNotice(trx, { noticeKey: 'n', language: 'zh-CN', content: '通知', purposes: ['marketing.sms'], recipients: [], dataCategories: [] });
        const members = await trx.selectFrom('segment_members').select('person_id').where('segment_id', '=', Number(id)).orderBy('person_id').limit(3).execute();
        for (const [i, member] of members.entries()) {
          await recordConsentEvent(trx, { clientEventId: `c${i}`, subject: consentSubjectOf(Number(member.person_id)), purpose: 'marketing.sms', regime: 'pipl', kind: i === 2 ? 'refused' : 'given', noticeId: notice.id, channel: 'app', source: 'test', collectedAt: notice.createdAt });
        }
      });
    } finally {
      await database.close();
    }
    expect((await segments('members', id, '--purpose', 'marketing.sms', '--regime', 'pipl')).out).toBe(`segment ${id} for marketing.sms: 2 of 12 members allowed (no consent 9, refused 1, expired 0)`);
    expect((await segments('members', id, '--purpose', 'no.such', '--regime', 'pipl')).error).toMatchObject({ code: 'ACCORD_ERR_CONSENT_UNKNOWN_PURPOSE' });
    expect((await segments('members', id, '--purpose', 'marketing.sms')).error?.message).toBe('with --purpose give --regime pipl|gdpr|ccpa');
  });

  it('refuses wrong use with one clear message', async () => {
    const message = async (...args: string[]) => (await segments(...args)).error?.message.split('\n')[0];
    expect(await message('create', 'x')).toBe('give --rule (static or dynamic) or --identifiers (imported)');
    expect(await message('create', 'x', '--rule', shanghai(), '--kind', 'imported')).toBe('--kind with --rule is static or dynamic');
    expect((await segments('create', 'x', '--rule', f.file('like.json', JSON.stringify({ attribute: 'city', op: 'like', value: '%' })))).error).toMatchObject({ code: 'ACCORD_ERR_SEGMENT_RULE' });
    expect(await message('create', 'x', '--rule', shanghai(), '--schedule', '3600')).toBe('only a dynamic segment has a schedule');
    expect(await message('portrait', '1')).toBe('give 1 to 10 --by dimensions');
    expect(await message('portrait', '1', '--by', 'shoe_size')).toBe('--by shoe_size: expected attribute:<key>, tag:<key>, age_band, lifecycle, order_channel');
    expect(await message('refresh', 'abc')).toBe('segment id "abc" is not a positive whole number');
    expect(await message('show', '999')).toBe('segment not found');
    expect(await message('estimate', f.file('broken.json', '{'))).toMatch(/broken\.json is not valid JSON/);
  });

  it('runs as the accord command and keeps tenants apart', async () => {
    const listed = await runAccord(['segments', 'list', '--json', '--tenant', 'acme'], f.env);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).segments.map((s: { name: string }) => s.name)).toContain('Shanghai');
    expect(await runAccord(['tenants', 'create', 'other'], f.env)).toMatchObject({ code: 0 });
    expect(await f.run(tenantsCommand, ['regime', 'other', 'ccpa'])).toEqual({ out: 'other\tfirst-party regime ccpa', error: undefined });
    expect((await f.run(tenantsCommand, ['regime', 'other', 'hipaa'])).error?.message).toMatch(/^regime "hipaa" is one of pipl, gdpr, ccpa/);
    const other = await runAccord(['segments', 'show', '1', '--tenant', 'other'], f.env);
    expect(other).toMatchObject({ code: 1, stderr: 'accord: segment not found\n' });
  });
});

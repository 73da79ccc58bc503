/**
 * The conformance suite every audience connector passes against its platform's contract server
 * (BullMQ-style: one suite, every backend). A connector is done when this passes. Each platform's
 * test file calls describeConformance with its connector, server and the few facts the suite cannot
 * read from capabilities.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActivationError, type ActivationErrorCode } from '../../core/activation/activation-errors.ts';
import type { AudienceConnector, AudienceRef, MembershipBatch, ProcessingStatus, UploadOutcome } from '../../core/activation/audience-connector.ts';
import type { ConversionEvent, ConversionSender } from '../../core/activation/conversion-sender.ts';
import type { Credentials } from '../../core/activation/credentials.ts';
import type { MemberInput, PreparedId, PreparedMember } from '../../core/activation/identifier-profile.ts';
import type { PlatformContext } from '../../core/activation/platform-context.ts';
import type { ReportSource } from '../../core/activation/report-source.ts';
import type { ContractServer } from '../../connectors/contract-kit/contract-server.ts';
import { fakeCampaignDays } from '../../connectors/contract-kit/fake-campaigns.ts';
import { fakePeople, type FakePerson } from '../../connectors/contract-kit/fake-people.ts';
import type { FakeOptions } from '../../connectors/contract-kit/fake-platform.ts';

export interface ConformanceSubject {
  readonly connector: AudienceConnector;
  start(options: FakeOptions): Promise<ContractServer>;
  readonly accountId: string;
  /** The audience's id types in these tests (one type for single-type platforms and files, so rows are members). */
  readonly idTypes: readonly string[];
  readonly country?: string;
  /** The first id type of a known person, spelled the way this platform does not take (the fake must refuse it). */
  misspelled(person: FakePerson): PreparedId;
  /** The platform's code for an error inside HTTP 200, and the error it must become; absent where the platform has none. */
  readonly errorIn200?: { readonly code: number; readonly becomes: ActivationErrorCode };
  readonly conversions?: { readonly sender: ConversionSender; readonly target: string };
  readonly reports?: ReportSource;
}

/** A person as a brand's data holds them: raw spellings the shared normaliser has to fix. */
export function memberOf(person: FakePerson, key = person.email): MemberInput {
  const national = person.phone.startsWith('+86') ? person.phone.slice(3) : `${person.phone.slice(0, 2)} ${person.phone.slice(2, 5)}-${person.phone.slice(5, 8)}-${person.phone.slice(8)}`;
  return {
    key,
    identifiers: [
      { type: 'email', value: `  ${person.email.toUpperCase()} ` },
      { type: 'phone', value: national, region: 'CN' },
      { type: 'idfa', value: person.idfa.toLowerCase() },
      { type: 'imei', value: person.imei.slice(0, 14) },
      { type: 'oaid', value: person.oaid.toUpperCase() },
    ],
  };
}

export function memoryCredentials(initial: Credentials) {
  let current = initial;
  const refreshed: Credentials[] = [];
  return {
    current: () => current,
    refreshed: async (next: Credentials) => {
      current = next;
      refreshed.push(next);
    },
    history: refreshed,
  };
}

const sessionOf = (id: string, seq = 1, last = true) => ({ id, seq, last });

export function describeConformance(name: string, subject: ConformanceSubject): void {
  const { connector } = subject;
  const caps = connector.capabilities;
  const replaceOnly = caps.removal === 'replace';

  describe(`${name} conformance`, () => {
    let server: ContractServer;
    let credentials: ReturnType<typeof memoryCredentials>;
    let ctx: PlatformContext;
    const start = async (options: FakeOptions = {}) => {
      server = await subject.start({ minimumSize: 3, ...options });
      credentials = memoryCredentials(server.credentials);
      ctx = { accountId: subject.accountId, credentials, baseUrl: server.url, timeoutMs: 5_000 };
    };
    beforeEach(() => start());
    afterEach(() => server.close());
    afterAll(async () => {
      // A closed server's handle is released a turn of the event loop after close() resolves.
      const listening = () => process.getActiveResourcesInfo().filter((resource) => resource === 'TCPServerWrap');
      for (let turn = 0; turn < 100 && listening().length > 0; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(listening()).toEqual([]);
    });

    const prepared = (people: readonly FakePerson[]): PreparedMember[] =>
      people.flatMap((person) => {
        const result = connector.identifiers.prepare(memberOf(person), subject.idTypes);
        return result.ok ? [result.member] : [];
      });
    /** Known people who have every id type of the audience, then unknown ones. */
    const known = (count: number) => prepared(fakePeople(60)).slice(0, count);
    const unknown = (count: number) => prepared(fakePeople(count * 3, 5_000)).slice(0, count);
    const spec = { name: `Accord ${name} conformance audience`, idTypes: subject.idTypes, reference: 'audience-1', country: subject.country };
    const batch = (members: readonly PreparedMember[], op: MembershipBatch['op'] = replaceOnly ? 'replace' : 'add', session = sessionOf(`s-${op}-${members.length}`)): MembershipBatch => ({ op, members, session });
    const create = (members: readonly PreparedMember[]) => connector.createAudience(ctx, spec, batch(members));
    const failure = async (work: Promise<unknown>): Promise<ActivationError> => {
      const error = await work.then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(ActivationError);
      return error as ActivationError;
    };
    const settle = async (audience: AudienceRef, receipt: string): Promise<ProcessingStatus[]> => {
      const seen: ProcessingStatus[] = [];
      for (let poll = 0; poll < 10 && seen.at(-1)?.state !== 'succeeded' && seen.at(-1)?.state !== 'failed'; poll++) seen.push(await connector.status!(ctx, audience, receipt));
      return seen;
    };
    const sizeOf = (audience: AudienceRef) => server.state.audiences.size(audience.id);

    it('creates an audience with an id above 2^53 kept exact, and adds members in batches within the limits', async () => {
      const members = [...known(20), ...unknown(6)];
      const { audience, outcome } = await create(replaceOnly ? members : members.slice(0, 10));
      expect(BigInt(audience.id)).toBeGreaterThan(2n ** 53n);
      expect(sizeOf(audience)).toBeDefined();
      const outcomes: UploadOutcome[] = [outcome!];
      if (!replaceOnly) {
        for (let at = 10; at < members.length; at += 10) outcomes.push(await connector.upload(ctx, audience, batch(members.slice(at, at + 10), 'add', sessionOf('adds', at / 10 + 1, at + 10 >= members.length))));
      }
      expect(outcomes.reduce((sum, each) => sum + each.accepted, 0)).toBe(members.length);
      expect(outcomes.flatMap((each) => each.rejected)).toEqual([]);
      expect(sizeOf(audience)).toBe(members.length);
    });

    it.skipIf(!connector.status)('reports processing, then completion with a match signal', async () => {
      const members = [...known(12), ...unknown(4)];
      const { audience, outcome } = await create(members);
      const receipts = outcome!.receipts;
      expect(receipts.length).toBeGreaterThan(0);
      for (const receipt of receipts) {
        const seen = await settle(audience, receipt);
        expect(seen[0]!.state).toBe('processing');
        const final = seen.at(-1)!;
        expect(final.state).toBe('succeeded');
        const signal = final.matched ?? final.matchRate;
        expect(signal).toBeDefined();
        if (final.matched !== undefined) expect(final.matched).toBe(12);
        if (final.matchRate) expect(final.matchRate.low <= 12 / 16 && 12 / 16 <= final.matchRate.high).toBe(true);
      }
      if (connector.finalize) await connector.finalize(ctx, audience);
    });

    it('removes members', async () => {
      const members = known(10);
      const { audience } = await create(members);
      if (replaceOnly) await connector.upload(ctx, audience, batch(members.slice(0, 6), 'replace'));
      else await connector.upload(ctx, audience, batch(members.slice(6), 'remove'));
      expect(sizeOf(audience)).toBe(6);
    });

    it.skipIf(caps.minimumSize === undefined)('refuses a change that would leave the audience too small, with nothing removed', async () => {
      await server.close();
      await start({ minimumSize: caps.minimumSize });
      const members = [...known(12), ...unknown(caps.minimumSize! + 2)].slice(0, caps.minimumSize! + 2);
      const { audience } = await create(members);
      const kept = members.slice(0, caps.minimumSize! - 1);
      const error = await failure(replaceOnly ? connector.upload(ctx, audience, batch(kept, 'replace')) : connector.upload(ctx, audience, batch(members.slice(kept.length), 'remove')));
      expect(error.code).toBe('ACCORD_ERR_AUDIENCE_TOO_SMALL');
      expect(error.retryable).toBe(false);
      expect(sizeOf(audience)).toBe(members.length);
    });

    it.skipIf(caps.transport !== 'rows')('holds batches to the platform limit: one row more is refused by the platform', async () => {
      const { audience } = await create(known(4));
      const many = prepared(fakePeople(Math.ceil((caps.maxMembersPerBatch + 1) * 1.6), 20_000)).slice(0, caps.maxMembersPerBatch + 1);
      expect(many).toHaveLength(caps.maxMembersPerBatch + 1);
      const error = await failure(connector.upload(ctx, audience, batch(many)));
      expect(error.code).toBe('ACCORD_ERR_PLATFORM_REFUSED');
      expect(sizeOf(audience)).toBe(4);
    });

    it('turns a rate limit into a retryable THROTTLED error with the wait', async () => {
      const { audience } = await create(known(4));
      server.limitRate({ calls: 0, windowSeconds: 30 });
      const error = await failure(connector.upload(ctx, audience, batch(known(5))));
      expect(error.code).toBe('ACCORD_ERR_PLATFORM_THROTTLED');
      expect(error.retryable).toBe(true);
      expect(error.retryAfterMs).toBeGreaterThan(0);
    });

    it('turns 5xx and timeouts into retryable UNAVAILABLE errors', async () => {
      const { audience } = await create(known(4));
      server.inject({ kind: 'unavailable' });
      const unavailable = await failure(connector.upload(ctx, audience, batch(known(5))));
      expect([unavailable.code, unavailable.retryable]).toEqual(['ACCORD_ERR_PLATFORM_UNAVAILABLE', true]);
      server.inject({ kind: 'timeout' });
      const timedOut = await failure(connector.upload({ ...ctx, timeoutMs: 300 }, audience, batch(known(5))));
      expect([timedOut.code, timedOut.retryable]).toEqual(['ACCORD_ERR_PLATFORM_UNAVAILABLE', true]);
      expect(sizeOf(audience)).toBe(4);
    });

    it.skipIf(!subject.errorIn200)('reads errors inside HTTP 200 bodies', async () => {
      const { audience } = await create(known(4));
      server.inject({ kind: 'error_in_200', code: subject.errorIn200!.code });
      const error = await failure(connector.upload(ctx, audience, batch(known(5))));
      expect(error.code).toBe(subject.errorIn200!.becomes);
      expect(error.platformCode).toBe(String(subject.errorIn200!.code));
      expect(error.httpStatus).toBe(200);
    });

    /** Uploads a batch whose row `index` the platform refuses, and checks the platform said so the way capabilities promise. */
    const expectRowRefused = async (members: readonly PreparedMember[], index: number, arm: () => void = () => {}) => {
      const { audience } = await create(known(4));
      arm();
      const before = sizeOf(audience)!;
      const sent = replaceOnly ? [...members] : members;
      if (caps.badRows === 'batch_named' || caps.badRows === 'batch') {
        const error = await failure(connector.upload(ctx, audience, batch(sent)));
        if (caps.badRows === 'batch_named') expect([error.code, error.rows.map((row) => row.index)]).toEqual(['ACCORD_ERR_PLATFORM_ROWS_REJECTED', [index]]);
        else expect(error.code).toBe('ACCORD_ERR_PLATFORM_REFUSED');
        expect(sizeOf(audience)).toBe(before);
        return;
      }
      const outcome = await connector.upload(ctx, audience, batch(sent));
      if (caps.badRows === 'per_row') {
        expect(outcome.rejected.map((row) => row.index)).toEqual([index]);
        expect(outcome.accepted).toBe(sent.length - 1);
      }
      const final = caps.badRows === 'per_row' ? [] : (await Promise.all(outcome.receipts.map((receipt) => settle(audience, receipt)))).map((seen) => seen.at(-1)!);
      if (caps.badRows === 'count') expect(final.reduce((sum, status) => sum + (status.received ?? 0) - (status.valid ?? 0), 0)).toBe(1);
      if (caps.badRows === 'file') {
        expect(final.map((status) => status.state)).toContain('failed');
        expect(sizeOf(audience)).toBe(before);
        return;
      }
      expect(sizeOf(audience)).toBe(replaceOnly ? sent.length - 1 : before + sent.length - 1);
    };

    it('identifies the row the platform refused in a batch', async () => {
      await expectRowRefused(known(10).slice(4), 2, () => server.inject({ kind: 'reject_row', index: 2 }));
    });

    it('has its identifier spellings checked by the fake: a misspelled id is refused', async () => {
      const [first, , ...rest] = known(10).slice(4);
      // Person 30 is in the fake's population (0-39) and not among the members sent.
      const wrong: PreparedMember = { key: 'misspelled', ids: [subject.misspelled(fakePeople(40)[30]!)] };
      await expectRowRefused([first!, wrong, ...rest], 1);
    });

    it('has hash lengths checked by the fake: a truncated hash is refused', async () => {
      const [first, second, ...rest] = known(10).slice(4);
      const truncated: PreparedMember = { key: second!.key, ids: [{ ...second!.ids[0]!, value: second!.ids[0]!.value.slice(1) }] };
      await expectRowRefused([first!, truncated, ...rest], 1);
    });

    it(caps.tokenRefresh ? 'refreshes an expired token and goes on' : 'reports an expired token as AUTH (no refresh on this platform)', async () => {
      const { audience } = await create(known(4));
      const before = credentials.current().accessToken;
      server.expireTokens();
      const next = known(8).slice(4);
      if (caps.tokenRefresh) {
        await connector.upload(ctx, audience, batch(next));
        expect(credentials.history).toHaveLength(1);
        expect(credentials.current().accessToken).not.toBe(before);
        expect(sizeOf(audience)).toBe(replaceOnly ? 4 : 8);
      } else {
        const error = await failure(connector.upload(ctx, audience, batch(next)));
        expect([error.code, error.retryable]).toEqual(['ACCORD_ERR_PLATFORM_AUTH', false]);
      }
    });

    it.skipIf(!subject.conversions)('sends conversions, setting aside the ones that cannot go', async () => {
      const { sender, target } = subject.conversions!;
      const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
      const event = (id: string, person: FakePerson): ConversionEvent => ({
        id,
        name: 'purchase',
        occurredAt: hourAgo,
        value: { amount: '12.34', currency: 'CNY' },
        click: { gclid: `gclid-${id}`, ttclid: `ttclid-${id}`, clickId: `click-${id}`, callback: `callback-${id}` },
        user: memberOf(person),
      });
      const people = fakePeople(3);
      const events = [event('order_1', people[0]!), event('order_2', people[1]!), { id: 'order_3', name: 'purchase' as const, occurredAt: hourAgo }];
      const outcome = await sender.send(ctx, target, events);
      expect(outcome).toEqual({ sent: 2, rejected: [{ index: 2, reason: expect.any(String) }] });
      expect(server.state.conversions).toHaveLength(2);
    });

    it.skipIf(!subject.reports)('pulls campaign results per day, in micros of a named currency, across pages', async () => {
      const days = await subject.reports!.campaignDays(ctx, { from: '2026-01-01', to: '2026-01-03' });
      const order = (a: { date: string; campaignId: string }, b: { date: string; campaignId: string }) => (a.date + a.campaignId).localeCompare(b.date + b.campaignId);
      const expected = fakeCampaignDays('2026-01-01', '2026-01-03').map((day) => ({
        campaignId: day.campaignId,
        date: day.date,
        impressions: day.impressions,
        clicks: day.clicks,
        spendMicros: BigInt(day.spendCents) * 10_000n,
        currency: server.state.currency,
        conversions: day.conversions,
      }));
      expect(days.map(({ campaignName: _name, ...day }) => day).sort(order)).toEqual(expected.sort(order));
    });
  });
}

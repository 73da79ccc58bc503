/**
 * `consent-append`: consent events recorded per second through the full write path (validation,
 * hash chaining under the tenant's head lock, state projection), with N concurrent writers on one
 * tenant chain. `--batch 1` is a collection point sending one event per request (one transaction and
 * one commit each); larger batches are what a bulk import or POST /v1/consent/events/batch does
 * (recordConsentEvents: one head lock and a fixed number of statements per batch).
 */
import { performance } from 'node:perf_hooks';
import { publishNotice } from '../core/consent/notices.ts';
import { definePurpose } from '../core/consent/purposes.ts';
import { recordConsentEvents, type ConsentEventInput } from '../core/consent/record-consent-event.ts';
import { verifyConsentLog } from '../core/consent/verify-consent-log.ts';
import { withTenant } from '../core/db/tenant-scope.ts';
import { ensureTenant } from '../core/tenancy/tenants.ts';
import { flag, intOption, type Benchmark } from './benchmark.ts';
import { formatTable, num } from './report.ts';
import { withThrowawayDatabase } from './throwaway-database.ts';

export const consentAppendBenchmark: Benchmark = {
  name: 'consent-append',
  describe: 'consent events appended per second with hash chaining (--batch events per transaction, default 1)',
  options: { events: { type: 'string' }, writers: { type: 'string' }, batch: { type: 'string' }, smoke: { type: 'boolean' } },
  async run(options, progress) {
    const events = intOption(options, 'events', flag(options, 'smoke') ? 500 : 20_000);
    const writers = intOption(options, 'writers', 8);
    const batch = intOption(options, 'batch', 1);
    return withThrowawayDatabase(async ({ db, target }) => {
      const tenant = await ensureTenant(db, 'bench');
      const noticeId = await withTenant(db, tenant.id, async (trx) => {
        await definePurpose(trx, { key: 'marketing.sms', name: 'SMS', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, retentionDays: 365, sensitiveCategory: null, requiresNamedRecipient: false, crossBorder: false, publicDisclosure: false });
        return (await publishNotice(trx, { noticeKey: 'n', language: 'zh-CN', content: '通知', purposes: ['marketing.sms'], recipients: [], dataCategories: ['phone'] })).id;
      });
      const collectedAt = new Date(Date.now() + 1_000);
      let next = 0;
      progress(`appending ${events.toLocaleString('en')} events with ${writers} writers on ${target.kind}`);
      const started = performance.now();
      await Promise.all(
        Array.from({ length: writers }, async () => {
          for (;;) {
            const i = next;
            next += batch;
            if (i >= events) break;
            const inputs = Array.from({ length: Math.min(events, i + batch) - i }, (_, k): ConsentEventInput => {
              const j = i + k;
              return {
                clientEventId: `e${j}`,
                subject: `member-${j}`,
                purpose: 'marketing.sms',
                regime: 'pipl',
                kind: j % 10 === 3 ? 'refused' : 'given',
                ...(j % 10 === 3 ? {} : { noticeId }),
                channel: 'app',
                source: 'bench',
                evidence: { formId: 'signup-v3', ipHash: 'sha256:0f3a' },
                collectedAt,
              };
            });
            await withTenant(db, tenant.id, (trx) => recordConsentEvents(trx, inputs));
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const verifyStarted = performance.now();
      const verified = await withTenant(db, tenant.id, (trx) => verifyConsentLog(trx));
      const verifySeconds = (performance.now() - verifyStarted) / 1000;
      if (!verified.ok || verified.eventsChecked !== events) throw new Error(`log does not verify after the run: ${JSON.stringify(verified)}`);
      const perSecond = events / seconds;
      console.log(
        formatTable(
          ['database', 'events', 'writers', 'events per transaction', 'events/s', 'verify events/s'],
          [[target.kind, events.toLocaleString('en'), String(writers), String(batch), num(perSecond, 0), num(events / verifySeconds, 0)]],
        ),
      );
      return { database: target.kind, events, writers, batch, eventsPerSecond: Math.round(perSecond), verifyEventsPerSecond: Math.round(events / verifySeconds) };
    });
  },
};

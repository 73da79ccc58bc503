/**
 * Consent rates from GET /v1/consent/reports/consent-rates: people who gave, refused and withdrew
 * consent per purpose and channel, and the share who agreed per notice version (when the notice
 * was logged as served), over a chosen period.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, query, type PageProps } from '../api.ts';
import { BarChart } from '../bar-chart.ts';
import { t } from '../i18n.ts';

interface RateRow {
  purpose: string;
  channel: string;
  noticeKey: string;
  noticeVersion: number;
  language: string;
  served: number;
  given: number;
  refused: number;
  withdrawn: number;
  consentRate: number | null;
}

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/** Sums rows sharing a key, keeping first-seen order. */
function totals(rows: RateRow[], keyOf: (row: RateRow) => string) {
  const sums = new Map<string, { served: number; given: number; refused: number; withdrawn: number }>();
  for (const row of rows) {
    const sum = sums.get(keyOf(row)) ?? { served: 0, given: 0, refused: 0, withdrawn: 0 };
    sums.set(keyOf(row), { served: sum.served + row.served, given: sum.given + row.given, refused: sum.refused + row.refused, withdrawn: sum.withdrawn + row.withdrawn });
  }
  return [...sums.entries()];
}

export function ConsentRatesPage(_props: PageProps) {
  const [period, setPeriod] = useState({ from: day(-30), to: day(1) });
  const [rows, setRows] = useState<RateRow[] | undefined>();
  const [error, setError] = useState('');
  useEffect(() => {
    api<{ rows: RateRow[] }>('GET', `/v1/consent/reports/consent-rates?${query({ from: `${period.from}T00:00:00Z`, to: `${period.to}T00:00:00Z` })}`).then(
      (report) => setRows(report.rows),
      (problem: Error) => setError(problem.message),
    );
  }, [period.from, period.to]);
  const choose = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    setPeriod({ from: String(form.get('from')), to: String(form.get('to')) });
  };
  const byPurpose = totals(rows ?? [], (row) => `${row.purpose} · ${row.channel}`);
  const byNotice = totals(rows ?? [], (row) => `${row.noticeKey} v${row.noticeVersion} ${row.language}`);
  return html`<section>
    <h1>${t('rates')}</h1>
    <form class="inline" onSubmit=${choose}>
      <label>${t('from')} <input type="date" name="from" value=${period.from} /></label>
      <label>${t('to')} <input type="date" name="to" value=${period.to} /></label>
      <button type="submit">${t('show')}</button>
    </form>
    ${error && html`<p role="alert" class="error">${error}</p>`}
    ${rows && html`<div class="cols">
      <${BarChart} label=${t('rateTitle')} categories=${byPurpose.map(([key]) => key)} series=${[
        { name: 'given', values: byPurpose.map(([, s]) => s.given), stack: 'people' },
        { name: 'refused', values: byPurpose.map(([, s]) => s.refused), stack: 'people' },
        { name: 'withdrawn', values: byPurpose.map(([, s]) => s.withdrawn), stack: 'people' },
      ]} />
      <${BarChart} label=${t('rateByNotice')} unit="%" categories=${byNotice.map(([key]) => key)} series=${[
        { name: 'consent rate', values: byNotice.map(([, s]) => (s.served > 0 ? Math.round((1000 * s.given) / s.served) / 10 : 0)) },
      ]} />
    </div>`}
  </section>`;
}

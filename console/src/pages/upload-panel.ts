/** Upload a members, orders or events file (CSV or NDJSON) and see the run: rows read, applied, rejected, and the rejected rows' errors. */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, Problem } from '../api.ts';
import { t } from '../i18n.ts';

interface Run {
  id: string;
  status: string;
  rowsRead: number;
  applied: number;
  rejected: number;
  personsCreated: number;
  error: { row: number; reason: string; detail: string } | null;
}
interface Issue {
  row: number;
  field?: string;
  reason: string;
  detail: string;
}

const POLL_MS = 500;

export function UploadPanel({ onDone }: { onDone: () => void }) {
  const [run, setRun] = useState<Run | undefined>();
  const [issues, setIssues] = useState<Issue[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const upload = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const file = form.get('file') as File;
    setBusy(true);
    setError('');
    try {
      const type = file.name.endsWith('.ndjson') ? 'application/x-ndjson' : 'text/csv';
      const { csrfToken } = await api<{ csrfToken: string }>('GET', '/v1/console/session');
      const response = await fetch(`/v1/ingest/${String(form.get('kind'))}/files?mode=lenient`, { method: 'POST', body: file, headers: { 'content-type': type, 'x-csrf-token': csrfToken } });
      const body = await response.json();
      if (!response.ok) throw new Problem(response.status, body.code, body.detail);
      // The node answers 202 with the queued run; the ingest is a job, so follow the run until it ends.
      let current = body as Run;
      setRun(current);
      while (current.status === 'queued' || current.status === 'running') {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        current = await api<Run>('GET', `/v1/ingest/runs/${current.id}`);
        setRun(current);
      }
      setIssues(current.rejected > 0 ? (await api<{ issues: Issue[] }>('GET', `/v1/ingest/runs/${current.id}/issues`)).issues : []);
      onDone();
    } catch (problem) {
      setError((problem as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return html`<section aria-label=${t('ingest')}>
    <h2>${t('ingest')}</h2>
    <form class="inline" onSubmit=${upload}>
      <label>Kind <select name="kind"><option>members</option><option>orders</option><option>events</option></select></label>
      <label>File <input type="file" name="file" accept=".csv,.ndjson,text/csv,application/x-ndjson" required /></label>
      <button type="submit" disabled=${busy}>Upload</button>
    </form>
    ${busy && html`<progress aria-label="uploading"></progress>`}
    ${error && html`<p role="alert" class="error">${error}</p>`}
    ${run && html`<p class="run" data-status=${run.status}>${run.status}: ${run.rowsRead} rows read, ${run.applied} applied, ${run.rejected} rejected, ${run.personsCreated} new persons</p>`}
    ${issues.length > 0 && html`<table class="issues"><thead><tr><th>Row</th><th>Field</th><th>Reason</th><th>Detail</th></tr></thead>
      <tbody>${issues.map((i) => html`<tr><td>${i.row}</td><td>${i.field ?? ''}</td><td>${i.reason}</td><td>${i.detail}</td></tr>`)}</tbody></table>`}
  </section>`;
}

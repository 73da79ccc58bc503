/** A collaboration's PSI runs, newest first, refreshed every two seconds while any is still preparing or running. */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, query, type PageProps } from '../api.ts';
import { t } from '../i18n.ts';

interface Run {
  id: string;
  collaborationId: string;
  role: string;
  mode: string;
  status: string;
  result: unknown;
  error: string | null;
  createdAt: string;
}
const LIVE = new Set(['preparing', 'ready', 'running']);

export function PsiRunsPage(_props: PageProps) {
  const [collaborations, setCollaborations] = useState<{ id: string; name: string }[]>([]);
  const [collaborationId, setCollaborationId] = useState('');
  const [runs, setRuns] = useState<Run[]>([]);
  const [error, setError] = useState('');
  useEffect(() => {
    api<{ items: { id: string; name: string }[] }>('GET', '/v1/collaborations').then(
      (found) => {
        setCollaborations(found.items);
        setCollaborationId(found.items[0]?.id ?? '');
      },
      (problem: Error) => setError(problem.message),
    );
  }, []);
  useEffect(() => {
    if (!collaborationId) return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const found = (await api<{ items: Run[] }>('GET', `/v1/psi/runs?${query({ collaborationId })}`)).items;
        setRuns(found);
        if (found.some((run) => LIVE.has(run.status))) timer = setTimeout(load, 2_000);
      } catch (problem) {
        setError((problem as Error).message);
      }
    };
    void load();
    return () => clearTimeout(timer);
  }, [collaborationId]);
  return html`<section>
    <h1>${t('psiRuns')}</h1>
    <label>${t('collaborations')} <select value=${collaborationId} onChange=${(e: Event) => setCollaborationId((e.target as HTMLSelectElement).value)}>
      ${collaborations.map((c) => html`<option value=${c.id}>${c.name}</option>`)}
    </select></label>
    ${error && html`<p role="alert" class="error">${error}</p>`}
    <table><thead><tr><th>Started</th><th>Collaboration</th><th>Role</th><th>Mode</th><th>${t('status')}</th><th>Result</th></tr></thead>
      <tbody>${runs.map((r) => html`<tr data-run=${r.id}><td>${new Date(r.createdAt).toLocaleString()}</td><td>${r.collaborationId}</td><td>${r.role}</td><td>${r.mode}</td>
        <td>${LIVE.has(r.status) ? html`<progress aria-label=${r.status}></progress> ` : ''}${r.status}</td><td>${r.error ?? (r.result ? JSON.stringify(r.result) : '')}</td></tr>`)}</tbody></table>
  </section>`;
}

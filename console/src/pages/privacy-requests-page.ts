/**
 * The privacy-request queue: requests by deadline (overdue ones marked), logging a new one, moving
 * one through verification, running an erasure (after saying what it will do) or an access export,
 * and, per derived store and destination, where the removal stands.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type PageProps } from '../api.ts';
import { t } from '../i18n.ts';

interface RequestView {
  id: string;
  kind: string;
  regime: string;
  subject: string;
  status: string;
  dueAt: string;
  overdue: boolean;
}
interface RequestDetail extends RequestView {
  trail: { actor: string; action: string; toStatus: string | null; occurredAt: string }[];
  removals: { store: string; status: string; removed: number; updatedAt: string }[];
}

const formOf = (event: Event) => {
  event.preventDefault();
  return Object.fromEntries(new FormData(event.target as HTMLFormElement)) as Record<string, string>;
};

function Detail({ id, onChanged }: { id: string; onChanged: () => void }) {
  const [request, setRequest] = useState<RequestDetail | undefined>();
  const [error, setError] = useState('');
  const load = () => api<RequestDetail>('GET', `/v1/privacy-requests/${id}`).then(setRequest, (problem: Error) => setError(problem.message));
  useEffect(() => void load(), [id]);
  const act = async (work: () => Promise<unknown>) => {
    setError('');
    try {
      await work();
      await load();
      onChanged();
    } catch (problem) {
      setError((problem as Error).message);
    }
  };
  const move = (to: string, extra: Record<string, unknown> = {}) => act(() => api('POST', `/v1/privacy-requests/${id}/transitions`, { to, ...extra }));
  const erase = () => {
    if (window.confirm(t('eraseConfirm'))) void act(() => api('POST', `/v1/privacy-requests/${id}/erasure`, {}));
  };
  if (!request) return html`<p>${error || t('loading')}</p>`;
  const open = request.status !== 'completed' && request.status !== 'rejected';
  return html`<section class="detail" aria-label="request" data-status=${request.status}>
    <h2>${request.kind} · ${request.subject} · <span class="status">${request.status}</span></h2>
    <p>${t('due')}: ${new Date(request.dueAt).toLocaleDateString()} ${request.overdue ? html`<strong class="error">${t('overdue')}</strong>` : ''}</p>
    <div class="actions">
      ${request.status === 'received' && html`<button type="button" onClick=${() => move('verifying')}>${t('moveTo')} verifying</button>`}
      ${request.status === 'verifying' && html`<form class="inline" onSubmit=${(e: Event) => { const f = formOf(e); void move('in_progress', { verification: { method: f.method, reference: f.reference } }); }}>
        <label>Verification method <input name="method" required value="sms-otp" /></label>
        <label>Reference <input name="reference" required /></label>
        <button type="submit">${t('moveTo')} in_progress</button>
      </form>`}
      ${request.status === 'in_progress' && request.kind === 'erasure' && html`<button type="button" class="danger" onClick=${erase}>${t('erase')}</button>`}
      ${request.status === 'in_progress' && request.kind === 'access' && html`<a href=${`/v1/privacy-requests/${id}/export`} download>Export</a>`}
      ${open && html`<form class="inline" onSubmit=${(e: Event) => void move('rejected', { reason: formOf(e).reason })}>
        <label>${t('reason')} <input name="reason" required /></label><button type="submit">rejected</button>
      </form>`}
    </div>
    ${error && html`<p role="alert" class="error">${error}</p>`}
    <h3>${t('removals')}</h3>
    <table class="removals"><thead><tr><th>${t('store')}</th><th>${t('status')}</th><th>${t('removed')}</th></tr></thead>
      <tbody>${request.removals.length === 0 ? html`<tr><td colspan="3">${t('noRemovals')}</td></tr>` : request.removals.map((r) => html`<tr data-store=${r.store}><td>${r.store}</td><td>${r.status}</td><td>${r.removed}</td></tr>`)}</tbody></table>
    <h3>${t('trail')}</h3>
    <ol>${request.trail.map((entry) => html`<li>${new Date(entry.occurredAt).toLocaleString()} · ${entry.actor} · ${entry.action}${entry.toStatus ? ` → ${entry.toStatus}` : ''}</li>`)}</ol>
  </section>`;
}

export function PrivacyRequestsPage(_props: PageProps) {
  const [requests, setRequests] = useState<RequestView[]>([]);
  const [selected, setSelected] = useState<string | undefined>();
  const [error, setError] = useState('');
  const load = () => api<{ requests: RequestView[] }>('GET', '/v1/privacy-requests').then((found) => setRequests(found.requests), (problem: Error) => setError(problem.message));
  useEffect(() => void load(), []);
  const create = async (event: Event) => {
    const form = formOf(event);
    try {
      const created = await api<RequestView>('POST', '/v1/privacy-requests', form);
      await load();
      setSelected(created.id);
    } catch (problem) {
      setError((problem as Error).message);
    }
  };
  return html`<section>
    <h1>${t('requests')}</h1>
    <form class="inline" onSubmit=${create} aria-label=${t('newRequest')}>
      <label>Kind <select name="kind">${['erasure', 'access', 'rectification', 'restriction'].map((k) => html`<option>${k}</option>`)}</select></label>
      <label>${t('regime')} <select name="regime">${['pipl', 'gdpr', 'ccpa'].map((r) => html`<option>${r}</option>`)}</select></label>
      <label>${t('subject')} <input name="subject" required maxlength="200" /></label>
      <button type="submit">${t('create')}</button>
    </form>
    ${error && html`<p role="alert" class="error">${error}</p>`}
    <table class="requests">
      <thead><tr><th>Kind</th><th>${t('subject')}</th><th>${t('status')}</th><th>${t('due')}</th><th></th></tr></thead>
      <tbody>${requests.map((r) => html`<tr data-id=${r.id}>
        <td>${r.kind}</td><td>${r.subject}</td><td>${r.status}</td>
        <td>${new Date(r.dueAt).toLocaleDateString()} ${r.overdue ? html`<strong class="error">${t('overdue')}</strong>` : ''}</td>
        <td><button type="button" onClick=${() => setSelected(r.id)}>${t('show')}</button></td>
      </tr>`)}</tbody>
    </table>
    ${selected && html`<${Detail} key=${selected} id=${selected} onChanged=${load} />`}
  </section>`;
}

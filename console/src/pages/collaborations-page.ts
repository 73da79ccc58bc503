/**
 * Collaborations: the terms as proposed, the constraints each party added when approving, and the
 * strictest result that applies; runs and privacy budget used and left; approve or revoke (after
 * saying what revoking does).
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, holds, type PageProps } from '../api.ts';
import { t } from '../i18n.ts';

interface Collaboration {
  id: string;
  name: string;
  status: string;
  terms: { parties?: { nodeId: string; name?: string; role?: string }[] } & Record<string, unknown>;
  effectiveTerms: Record<string, unknown>;
  approvals: { nodeId: string; constraints: unknown; approvedBy: string; recordedAt: string }[];
  revocations: { nodeId: string; reason: string; revokedAt: string }[];
}
interface Budget {
  runs: { used: number; budget: number; left: number; lastDay: number; perDay: number };
  epsilon: { spent: number; total: number; left: number; perRun: number } | null;
}

function Detail({ id, session, onChanged }: { id: string; session: PageProps['session']; onChanged: () => void }) {
  const [collaboration, setCollaboration] = useState<Collaboration | undefined>();
  const [budget, setBudget] = useState<Budget | undefined>();
  const [error, setError] = useState('');
  const load = async () => {
    try {
      setCollaboration(await api<Collaboration>('GET', `/v1/collaborations/${id}`));
      setBudget(await api<Budget>('GET', `/v1/collaborations/${id}/budget`));
    } catch (problem) {
      setError((problem as Error).message);
    }
  };
  useEffect(() => void load(), [id]);
  const act = async (path: string, body: unknown) => {
    setError('');
    try {
      await api('POST', `/v1/collaborations/${id}/${path}`, body);
      await load();
      onChanged();
    } catch (problem) {
      setError((problem as Error).message);
    }
  };
  const revoke = () => {
    if (window.confirm(t('revokeConfirm'))) void act('revoke', { reason: 'revoked in the console' });
  };
  if (!collaboration) return html`<p>${error || t('loading')}</p>`;
  const partyName = (nodeId: string) => collaboration.terms.parties?.find((p) => p.nodeId === nodeId)?.name ?? nodeId;
  return html`<section class="detail" data-status=${collaboration.status}>
    <h2>${collaboration.name} · <span class="status">${collaboration.status}</span></h2>
    ${budget && html`<h3>${t('budget')}</h3>
      <ul class="budget">
        <li>runs: ${budget.runs.used} / ${budget.runs.budget} (${budget.runs.left} left; ${budget.runs.lastDay} of ${budget.runs.perDay} today)</li>
        ${budget.epsilon ? html`<li>ε: ${budget.epsilon.spent} / ${budget.epsilon.total} (${budget.epsilon.left} left; ${budget.epsilon.perRun} per run)</li>` : html`<li>exact counts (no noise budget)</li>`}
      </ul>`}
    ${holds(session, 'collaborations:approve') && collaboration.status !== 'revoked' && html`<p class="actions">
      ${collaboration.status === 'proposed' && html`<button type="button" onClick=${() => act('approve', {})}>${t('approve')}</button>`}
      <button type="button" class="danger" onClick=${revoke}>${t('revoke')}</button>
    </p>`}
    ${error && html`<p role="alert" class="error">${error}</p>`}
    <h3>${t('partyConstraints')}</h3>
    <ul>${collaboration.approvals.map((a) => html`<li>${partyName(a.nodeId)}: <code>${JSON.stringify(a.constraints)}</code></li>`)}</ul>
    <div class="cols">
      <div><h3>${t('terms')}</h3><pre>${JSON.stringify(collaboration.terms, null, 2)}</pre></div>
      <div><h3>${t('effective')}</h3><pre>${JSON.stringify(collaboration.effectiveTerms, null, 2)}</pre></div>
    </div>
  </section>`;
}

export function CollaborationsPage({ session }: PageProps) {
  const [items, setItems] = useState<Collaboration[]>([]);
  const [selected, setSelected] = useState<string | undefined>();
  const [error, setError] = useState('');
  const load = () => api<{ items: Collaboration[] }>('GET', '/v1/collaborations').then((found) => setItems(found.items), (problem: Error) => setError(problem.message));
  useEffect(() => void load(), []);
  return html`<section>
    <h1>${t('collaborations')}</h1>
    ${error && html`<p role="alert" class="error">${error}</p>`}
    <table><thead><tr><th>Name</th><th>${t('status')}</th><th></th></tr></thead>
      <tbody>${items.map((c) => html`<tr><td>${c.name}</td><td>${c.status}</td><td><button type="button" onClick=${() => setSelected(c.id)}>${t('show')}</button></td></tr>`)}</tbody></table>
    ${selected && html`<${Detail} key=${selected} id=${selected} session=${session} onChanged=${load} />`}
  </section>`;
}

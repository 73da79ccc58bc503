/**
 * A person's consent: find them by an identifier (looked up by its keyed hash through
 * POST /v1/persons/lookup, never listed) or their subject reference, see every event in order
 * (notice version, channel, source, evidence) and what holds now, and verify: the node recomputes the hash
 * chain and the signed checkpoints, and a signed receipt of their newest event is shown.
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, holds, query, type PageProps } from '../api.ts';
import { t } from '../i18n.ts';

interface HistoryEvent {
  seq: number;
  purpose: string;
  recipient: string | null;
  regime: string;
  kind: string;
  noticeId: string | null;
  channel: string;
  source: string;
  evidence: Record<string, string>;
  collectedAt: string;
}
interface History {
  subject: string;
  checkpoint: { treeSize: number; signedAt: string } | null;
  events: HistoryEvent[];
  state: { purpose: string; recipient: string | null; regime: string; granted: boolean; decidedAt: string }[];
}
interface Notice {
  noticeKey: string;
  version: number;
  language: string;
}
interface Verification {
  ok: boolean;
  eventsChecked: number;
  checkpointsChecked?: number;
  firstBad?: { seq: number; problem: string };
}

/** The claims of a compact JWS, for display; the signature is what the node checked. */
const claimsOf = (jws: string) => JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(jws.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))));

export function PersonPage({ session }: PageProps) {
  const [history, setHistory] = useState<History | undefined>();
  const [verification, setVerification] = useState<Verification | undefined>();
  const [receipt, setReceipt] = useState<unknown>();
  const [error, setError] = useState('');
  const attempt = async (work: () => Promise<void>) => {
    setError('');
    try {
      await work();
    } catch (problem) {
      setError((problem as Error).message);
    }
  };
  const [notices, setNotices] = useState<Record<string, string>>({});
  const load = (subject: string) =>
    attempt(async () => {
      const found = await api<History>('GET', `/v1/consent/history?${query({ subject })}`);
      setHistory(found);
      // Each notice version once; an id the catalogue cannot name is shown as it is.
      const ids = [...new Set(found.events.map((e) => e.noticeId).filter((id): id is string => id !== null))];
      const named = await Promise.all(ids.map((id) => api<Notice>('GET', `/v1/consent/notices/${id}`).then((n) => [id, `${n.noticeKey} v${n.version} (${n.language})`] as const, () => [id, id] as const)));
      setNotices(Object.fromEntries(named));
    });
  const find = (event: Event) => {
    event.preventDefault();
    setVerification(undefined);
    setReceipt(undefined);
    const form = Object.fromEntries(new FormData(event.target as HTMLFormElement)) as Record<string, string>;
    const value = (form.subject ?? '').trim();
    if (form.type === 'subject') return void load(value);
    void attempt(async () => {
      const person = await api<{ subject: string }>('POST', '/v1/persons/lookup', { type: form.type, value, ...(form.scope ? { scope: form.scope } : {}) });
      await load(person.subject);
    });
  };
  const verify = () =>
    attempt(async () => {
      setVerification(await api<Verification>('GET', '/v1/consent/verify'));
      const newest = history?.events.at(-1);
      if (newest) setReceipt(claimsOf((await api<{ receipt: string }>('GET', `/v1/consent/receipts/${newest.seq}?${query({ subject: history!.subject })}`)).receipt));
    });
  const seal = () =>
    attempt(async () => {
      await api('POST', '/v1/consent/checkpoints', {});
      await load(history!.subject);
    });

  return html`<section>
    <h1>${t('person')}</h1>
    <form class="inline" onSubmit=${find} role="search">
      <label>${t('identifierType')} <select name="type">
        <option value="subject">${t('subjectReference')}</option>
        <option value="email">email</option>
        <option value="phone">phone</option>
        <option value="member_id">member_id</option>
      </select></label>
      <label>${t('identifier')} <input name="subject" required maxlength="1024" /></label>
      <label>${t('identifierScope')} <input name="scope" maxlength="128" /></label>
      <button type="submit">${t('find')}</button>
    </form>
    ${error && html`<p role="alert" class="error">${error}</p>`}
    ${history && html`
      <h2>${t('currentState')}</h2>
      <table class="state">
        <thead><tr><th>${t('purpose')}</th><th>${t('recipient')}</th><th>${t('regime')}</th><th>${t('granted')}</th><th>${t('collectedAt')}</th></tr></thead>
        <tbody>${history.state.map((s) => html`<tr><td>${s.purpose}</td><td>${s.recipient ?? '—'}</td><td>${s.regime}</td><td>${s.granted ? t('yes') : t('no')}</td><td>${new Date(s.decidedAt).toLocaleString()}</td></tr>`)}</tbody>
      </table>
      <h2>${t('timeline')}</h2>
      ${history.events.length === 0 ? html`<p>${t('noEvents')}</p>` : html`
        <ol class="timeline">${history.events.map((e) => html`<li data-seq=${e.seq}>
          <strong>${e.kind}</strong> · ${e.purpose}${e.recipient ? ` → ${e.recipient}` : ''} · ${e.regime}
          <div class="meta">#${e.seq} · ${new Date(e.collectedAt).toLocaleString()} · ${t('channel')}: ${e.channel} · ${t('source')}: ${e.source} · ${t('notice')}: ${e.noticeId ? (notices[e.noticeId] ?? e.noticeId) : '—'}</div>
          ${Object.keys(e.evidence).length > 0 && html`<dl class="evidence">${Object.entries(e.evidence).map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`}
        </li>`)}</ol>`}
      ${holds(session, 'privacy:admin') && html`<p class="actions">
        <button type="button" onClick=${verify}>${t('verify')}</button>
        <button type="button" onClick=${seal}>${t('sealCheckpoint')}</button>
      </p>`}
      ${verification && html`<p class=${verification.ok ? 'ok' : 'error'} data-verified=${String(verification.ok)}>
        ${verification.ok ? t('verified') : t('notVerified')}: ${verification.eventsChecked} events, ${verification.checkpointsChecked ?? 0} checkpoints
        ${verification.firstBad && ` — #${verification.firstBad.seq}: ${verification.firstBad.problem}`}
      </p>`}
      ${receipt !== undefined && html`<h2>${t('receipt')}</h2><pre class="receipt">${JSON.stringify(receipt, null, 2)}</pre>`}
    `}
  </section>`;
}

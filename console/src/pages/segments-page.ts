/**
 * Segments: each with its size, a size estimate for a rule before saving it, and a portrait of a
 * segment's members (only cells of at least k persons, only persons the gate allows to profile).
 * Members files are uploaded here too, with the run's counts and its row errors.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, holds, type PageProps } from '../api.ts';
import { BarChart } from '../bar-chart.ts';
import { t } from '../i18n.ts';
import { UploadPanel } from './upload-panel.ts';

interface Segment {
  id: number;
  name: string;
  kind: string;
  memberCount: number;
  lastRefreshedAt: string | null;
}
interface Portrait {
  members: number;
  k: number;
  suppressed: boolean;
  distributions: { dimension: Record<string, string>; cells: { value: string; count: number }[] }[];
}

export function SegmentsPage({ session }: PageProps) {
  const [segments, setSegments] = useState<Segment[]>([]);
  const [estimate, setEstimate] = useState<number | undefined>();
  const [portrait, setPortrait] = useState<{ segment: Segment; portrait: Portrait } | undefined>();
  const [error, setError] = useState('');
  const attempt = async (work: () => Promise<void>) => {
    setError('');
    try {
      await work();
    } catch (problem) {
      setError((problem as Error).message);
    }
  };
  const load = () => attempt(async () => setSegments((await api<{ segments: Segment[] }>('GET', '/v1/segments')).segments));
  useEffect(() => void load(), []);
  const ruleOf = (event: Event) => {
    event.preventDefault();
    return JSON.parse(String(new FormData(event.target as HTMLFormElement).get('rule')));
  };
  const estimateRule = (event: Event) => attempt(async () => setEstimate((await api<{ members: number }>('POST', '/v1/segments/estimate', { rule: ruleOf(event) })).members));
  const showPortrait = (segment: Segment) =>
    attempt(async () => setPortrait({ segment, portrait: await api<Portrait>('POST', `/v1/segments/${segment.id}/portrait`, { dimensions: [{ builtIn: 'age_band' }, { builtIn: 'lifecycle' }] }) }));

  return html`<section>
    <h1>${t('segments')}</h1>
    ${error && html`<p role="alert" class="error">${error}</p>`}
    <table class="segments"><thead><tr><th>Name</th><th>Kind</th><th>Members</th><th>Refreshed</th><th></th></tr></thead>
      <tbody>${segments.map((s) => html`<tr data-segment=${s.id}><td>${s.name}</td><td>${s.kind}</td><td>${s.memberCount}</td><td>${s.lastRefreshedAt ? new Date(s.lastRefreshedAt).toLocaleString() : '—'}</td>
        <td><button type="button" onClick=${() => showPortrait(s)}>Portrait</button></td></tr>`)}</tbody></table>
    <form onSubmit=${estimateRule} aria-label="estimate">
      <label>Rule (JSON) <textarea name="rule" rows="4" cols="60" required>${'{"attribute":"city","op":"=","value":"上海"}'}</textarea></label>
      <button type="submit">Estimate size</button>
      ${estimate !== undefined && html`<output>${estimate} members</output>`}
    </form>
    ${portrait && html`<h2>${portrait.segment.name}: ${portrait.portrait.members} members (k ≥ ${portrait.portrait.k})</h2>
      ${portrait.portrait.suppressed ? html`<p>Too few members to show a portrait.</p>` : portrait.portrait.distributions.map((d) => html`<${BarChart}
        label=${Object.values(d.dimension).join(' ')} categories=${d.cells.map((c) => c.value)} series=${[{ name: 'members', values: d.cells.map((c) => c.count) }]} />`)}`}
    ${holds(session, 'data:write') && html`<${UploadPanel} onDone=${load} />`}
  </section>`;
}

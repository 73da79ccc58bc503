/**
 * The console shell: sign-in, then the pages the session's role may use. Pages a role may not use
 * are not offered, and the API refuses their calls anyway (the session carries the role's scopes).
 */
import { render, type ComponentType } from 'preact';
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, holds, useCsrfToken, type PageProps, type Problem, type Session } from './api.ts';
import { currentLanguage, setLanguage, t, type Word } from './i18n.ts';
import { CollaborationsPage } from './pages/collaborations-page.ts';
import { ConsentRatesPage } from './pages/consent-rates-page.ts';
import { PersonPage } from './pages/person-page.ts';
import { PrivacyRequestsPage } from './pages/privacy-requests-page.ts';
import { PsiRunsPage } from './pages/psi-runs-page.ts';
import { SegmentsPage } from './pages/segments-page.ts';

const pages: { id: string; word: Word; scope: string; component: ComponentType<PageProps> }[] = [
  { id: 'person', word: 'person', scope: 'consent:read', component: PersonPage },
  { id: 'requests', word: 'requests', scope: 'privacy:admin', component: PrivacyRequestsPage },
  { id: 'rates', word: 'rates', scope: 'consent:read', component: ConsentRatesPage },
  { id: 'collaborations', word: 'collaborations', scope: 'collaborations:read', component: CollaborationsPage },
  { id: 'segments', word: 'segments', scope: 'segments:read', component: SegmentsPage },
  { id: 'psi', word: 'psiRuns', scope: 'psi:read', component: PsiRunsPage },
];

function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [error, setError] = useState('');
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const role = String(form.get('role') ?? '');
    try {
      onSignedIn(await api<Session>('POST', '/v1/console/session', { apiKey: String(form.get('apiKey') ?? ''), ...(role ? { role } : {}) }));
    } catch (problem) {
      setError((problem as Error).message);
    }
  };
  return html`<main class="sign-in">
    <h1>Accord</h1>
    <form onSubmit=${submit}>
      <label>${t('apiKey')} <input name="apiKey" type="password" autocomplete="off" required /></label>
      <label>${t('role')}
        <select name="role">
          <option value="">${t('anyRole')}</option>
          <option value="privacy_officer">${t('privacy_officer')}</option>
          <option value="marketer">${t('marketer')}</option>
          <option value="admin">${t('admin')}</option>
        </select>
      </label>
      <button type="submit">${t('signIn')}</button>
      ${error && html`<p role="alert" class="error">${error}</p>`}
    </form>
  </main>`;
}

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [route, setRoute] = useState(location.hash.replace(/^#\/?/, ''));
  const [, setLanguageShown] = useState(currentLanguage());
  useEffect(() => {
    api<Session>('GET', '/v1/console/session')
      .then(signedIn)
      .catch(() => setSession(null));
    const onHash = () => setRoute(location.hash.replace(/^#\/?/, ''));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const signedIn = (opened: Session) => {
    useCsrfToken(opened.csrfToken);
    setSession(opened);
  };
  const signOut = async () => {
    await api('DELETE', '/v1/console/session').catch((problem: Problem) => problem);
    setSession(null);
  };
  const toggleLanguage = () => {
    setLanguage(currentLanguage() === 'en' ? 'zh-CN' : 'en');
    setLanguageShown(currentLanguage());
  };

  if (session === undefined) return html`<p>${t('loading')}</p>`;
  if (session === null) return html`<${SignIn} onSignedIn=${signedIn} />`;
  const allowed = pages.filter((page) => holds(session, page.scope));
  const wanted = pages.find((page) => page.id === route);
  const page = wanted ?? allowed[0];
  const Page = page && allowed.includes(page) ? page.component : undefined;
  return html`<div class="shell">
    <header>
      <strong>Accord</strong>
      <nav aria-label="pages">${allowed.map((p) => html`<a href=${`#/${p.id}`} aria-current=${p === page ? 'page' : undefined}>${t(p.word)}</a>`)}</nav>
      <span class="who" data-role=${session.role}>${t(session.role)}</span>
      <button type="button" onClick=${toggleLanguage}>${t('language')}</button>
      <button type="button" onClick=${signOut}>${t('signOut')}</button>
    </header>
    <main>${Page ? html`<${Page} key=${page!.id} session=${session} />` : html`<p role="alert" class="error">${t('forbidden')}</p>`}</main>
  </div>`;
}

document.documentElement.lang = currentLanguage();
render(html`<${App} />`, document.getElementById('app')!);

import { html } from 'htm/preact';
import { t } from '../i18n.ts';

export function PsiRunsPage() {
  return html`<section><h1>${t('psiRuns')}</h1></section>`;
}

import { html } from 'htm/preact';
import { t } from '../i18n.ts';

export function PrivacyRequestsPage() {
  return html`<section><h1>${t('requests')}</h1></section>`;
}

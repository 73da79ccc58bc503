import { html } from 'htm/preact';
import { t } from '../i18n.ts';

export function CollaborationsPage() {
  return html`<section><h1>${t('collaborations')}</h1></section>`;
}

import { html } from 'htm/preact';
import { t } from '../i18n.ts';

export function ConsentRatesPage() {
  return html`<section><h1>${t('rates')}</h1></section>`;
}

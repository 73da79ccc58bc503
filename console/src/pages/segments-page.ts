import { html } from 'htm/preact';
import { t } from '../i18n.ts';

export function SegmentsPage() {
  return html`<section><h1>${t('segments')}</h1></section>`;
}

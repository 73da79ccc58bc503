/**
 * A processing purpose: a hierarchical key (`marketing.advertising.lookalike`), its legal basis per
 * regime, and the PIPL separate-consent dimensions as first-class fields.
 */
import type { LegalBasis } from './decide-state.ts';
import type { Regime } from './consent-event.ts';

export const PURPOSE_KEY = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;

export interface Purpose {
  readonly key: string;
  readonly name: string;
  readonly mechanism: 'opt_in' | 'opt_out' | 'notice_only';
  /** Regimes the purpose may be processed under, each with how silence is treated. */
  readonly legalBasis: Partial<Record<Regime, LegalBasis>>;
  readonly retentionDays: number | null;
  /** PIPL Art. 28-29: a sensitive category (e.g. 'minor', 'health') needs separate consent. */
  readonly sensitiveCategory: string | null;
  /** PIPL Art. 23: consent names the party the data goes to, so each recipient is consented separately. */
  readonly requiresNamedRecipient: boolean;
  readonly crossBorder: boolean;
  readonly publicDisclosure: boolean;
}

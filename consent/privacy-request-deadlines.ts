/**
 * How long a controller has to answer a data-subject request, per regime, with the law it comes from.
 * The one table of these numbers: change it here and every new request follows. Confirm the figures
 * with counsel for your deployment; each is computed so that we answer no later than the law allows.
 */
import type { Regime } from './consent-event.ts';

export interface Period {
  readonly days?: number;
  readonly months?: number;
}

export interface ResponseDeadline {
  readonly initial: Period;
  /** How much longer a request may take when extended (once, with reasons told to the person); null when no extension exists. */
  readonly extension: Period | null;
  readonly citation: string;
}

export const responseDeadlines: Readonly<Record<Regime, ResponseDeadline>> = {
  pipl: {
    initial: { days: 15 },
    extension: null,
    citation:
      'PIPL Art. 50: requests are accepted and handled promptly (及时), with reasons for a refusal. No statutory figure; ' +
      '15 days follows the 2019 App违法违规收集使用个人信息行为认定方法 practice of 15 working days, counted as calendar days to stay on the early side.',
  },
  gdpr: {
    initial: { months: 1 },
    extension: { months: 2 },
    citation:
      'GDPR Art. 12(3): without undue delay and within one month of receipt, extendable by two further months where necessary, ' +
      'telling the person within the first month with the reasons. Months are calendar months (Regulation 1182/71); a missing day ends on the last of the month.',
  },
  ccpa: {
    initial: { days: 45 },
    extension: { days: 45 },
    citation: 'Cal. Civ. Code §1798.130(a)(2)(A) and CCPA Regulations §7021(b): 45 calendar days from receipt, extendable once by 45 more with notice to the consumer.',
  },
};

const DAY_MS = 86_400_000;

function addPeriod(from: Date, period: Period): Date {
  let at = new Date(from.getTime());
  if (period.months) {
    const target = new Date(at.getTime());
    target.setUTCDate(1);
    target.setUTCMonth(target.getUTCMonth() + period.months);
    const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
    target.setUTCDate(Math.min(at.getUTCDate(), lastDay));
    at = target;
  }
  return new Date(at.getTime() + (period.days ?? 0) * DAY_MS);
}

export function canExtend(regime: Regime): boolean {
  return responseDeadlines[regime].extension !== null;
}

/** When the answer is due: receipt plus the regime's period, plus the extension when taken. */
export function responseDueAt(regime: Regime, receivedAt: Date, extended: boolean): Date {
  const { initial, extension } = responseDeadlines[regime];
  if (!extended || !extension) return addPeriod(receivedAt, initial);
  // Counted from receipt as one period (Jan 31 + 3 months is Apr 30, not Feb 28 + 2 months).
  return addPeriod(receivedAt, { days: (initial.days ?? 0) + (extension.days ?? 0), months: (initial.months ?? 0) + (extension.months ?? 0) });
}

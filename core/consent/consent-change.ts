/**
 * What the ledger announces on the change feed after a commit: the tenant and the subjects whose
 * consent state may have changed, or null when there were too many to list (then every cached
 * decision of the tenant is dropped).
 */
import { MAX_CHANGE_PAYLOAD } from '../db/change-feed.ts';

export interface ConsentChange {
  tenantId: string;
  subjects: string[] | null;
}

export function consentChangePayload(tenantId: string, subjects: readonly string[]): string {
  const listed = JSON.stringify({ t: tenantId, s: subjects });
  return Buffer.byteLength(listed) <= MAX_CHANGE_PAYLOAD ? listed : JSON.stringify({ t: tenantId, s: null });
}

/** The change, or undefined for a payload this version does not understand (callers drop everything). */
export function parseConsentChange(payload: string): ConsentChange | undefined {
  try {
    const { t, s } = JSON.parse(payload) as { t?: unknown; s?: unknown };
    if (typeof t !== 'string') return undefined;
    if (s === null) return { tenantId: t, subjects: null };
    if (Array.isArray(s) && s.every((x) => typeof x === 'string')) return { tenantId: t, subjects: s };
  } catch {
    // fall through: unreadable
  }
  return undefined;
}

/**
 * Global Privacy Control (W3C GPC draft): `Sec-GPC: 1` is the only value that expresses the
 * preference; any other value means no signal. Under the CCPA regulations (§7025) it is a valid
 * request to opt out of sale and sharing, and it wins over a conflicting earlier opt-in (§7025(c)(3)).
 */
import type { UsOptOutField } from './gpp-string.ts';

/** What a GPC signal opts out of. */
export const gpcOptOuts: readonly UsOptOutField[] = ['sale', 'sharing'];

export function gpcFromHeader(value: string | string[] | undefined): boolean {
  return typeof value === 'string' && value.trim() === '1';
}

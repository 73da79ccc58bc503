/**
 * The bulk implementation of a suite, loaded on demand so a process only pays for what it uses
 * (libsodium's WASM instance, or the sodium-native addon).
 */
import type { PsiGroup } from './psi-group.ts';
import type { PsiSuite } from './suites.ts';

export async function loadPsiGroup(suite: PsiSuite): Promise<PsiGroup> {
  switch (suite) {
    case 'ristretto255':
      return (await import('./sodium-ristretto.ts')).loadSodiumRistretto();
    case 'x25519-elligator2':
      return (await import('./sodium-x25519.ts')).sodiumX25519;
    default:
      throw new RangeError(`unknown PSI suite: ${String(suite)}`);
  }
}

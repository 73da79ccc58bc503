/**
 * A run's secret scalar at rest: sealed under a key derived from the node's master key and bound to
 * the tenant and run, so a resumed worker continues with the same scalar (and the same result) and
 * the sealed bytes cannot be moved to another run. The scalar is fresh per run — never reused
 * against a partner, since a reused key lets the partner see which members came and went between
 * runs — and the sealed copy is erased when the run ends.
 */
import { deriveKey } from '../../crypto/derive-key.ts';
import type { PsiEngine, PsiKey } from '../../crypto/psi/psi-engine.ts';
import { open, seal } from '../../crypto/seal.ts';

/** `purpose` names a run's other secret scalars (the count-only sum key of a type), so none can stand in for another. */
const contextOf = (tenantId: string, runId: string, purpose?: string) => new TextEncoder().encode(`accord/psi/run-key/v1\0${tenantId}\0${runId}${purpose === undefined ? '' : `\0${purpose}`}`);

export function sealRunKey(masterKey: Uint8Array, engine: PsiEngine, key: PsiKey, tenantId: string, runId: string, purpose?: string): Uint8Array {
  const bytes = engine.exportKey(key);
  try {
    return seal(deriveKey(masterKey, 'accord/psi/run-keys/v1'), bytes, contextOf(tenantId, runId, purpose));
  } finally {
    bytes.fill(0);
  }
}

export function openRunKey(masterKey: Uint8Array, engine: PsiEngine, sealed: Uint8Array, tenantId: string, runId: string, purpose?: string): PsiKey {
  const bytes = open(deriveKey(masterKey, 'accord/psi/run-keys/v1'), sealed, contextOf(tenantId, runId, purpose));
  try {
    return engine.importKey(bytes);
  } finally {
    bytes.fill(0);
  }
}

/** What a node brings to PSI runs: its identity (signing), keys, the consent gate and the engines. */
import type { ConsentGate } from '../consent/consent-gate.ts';
import { IdentifierKeys } from '../identifiers/identifier-keys.ts';
import type { NodeIdentity } from '../identity/node-identity.ts';
import type { PsiEngines } from './psi-engines.ts';

export interface PsiNode {
  readonly identity: NodeIdentity;
  readonly masterKey: Uint8Array;
  readonly gate: ConsentGate;
  readonly identifierKeys: IdentifierKeys;
  readonly engines: PsiEngines;
}

/** The gate is the process's one (its projections are loaded once and shared). */
export function psiNodeOf(identity: NodeIdentity, masterKey: Uint8Array, engines: PsiEngines, gate: ConsentGate): PsiNode {
  return { identity, masterKey, gate, identifierKeys: new IdentifierKeys(masterKey), engines };
}

/** What a node brings to PSI runs: its identity (signing), keys, the consent gate and the engines. */
import { ConsentGate } from '../consent/consent-gate.ts';
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

export function psiNodeOf(identity: NodeIdentity, masterKey: Uint8Array, engines: PsiEngines): PsiNode {
  return { identity, masterKey, gate: new ConsentGate(), identifierKeys: new IdentifierKeys(masterKey), engines };
}

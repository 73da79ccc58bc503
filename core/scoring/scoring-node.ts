/**
 * What a node brings to federated scoring: its identity (signing requests and approvals), the master
 * key (sealing model secrets), the consent gate, identifier keys (row alignment), the scoring policy
 * and the HE sessions its workers keep between steps (a worker that dies loses them and rebuilds
 * them from the stored data, secrets and checkpoint).
 */
import type { HeBackend } from '../../crypto/he/he-backend.ts';
import { loadSealBackend } from '../../crypto/he/seal-backend.ts';
import type { ConsentGate } from '../consent/consent-gate.ts';
import { IdentifierKeys } from '../identifiers/identifier-keys.ts';
import type { NodeIdentity } from '../identity/node-identity.ts';
import { defaultScoringPolicy, type ScoringPolicy } from './model-spec.ts';
import { TrainingSessions } from './training-sessions.ts';

export interface ScoringNode {
  readonly identity: NodeIdentity;
  readonly masterKey: Uint8Array;
  readonly gate: ConsentGate;
  readonly identifierKeys: IdentifierKeys;
  readonly policy: ScoringPolicy;
  readonly sessions: TrainingSessions;
  backend(): Promise<HeBackend>;
}

let sealBackend: Promise<HeBackend> | undefined;

export function scoringNodeOf(identity: NodeIdentity, masterKey: Uint8Array, gate: ConsentGate, policy: ScoringPolicy = defaultScoringPolicy): ScoringNode {
  return {
    identity,
    masterKey,
    gate,
    identifierKeys: new IdentifierKeys(masterKey),
    policy,
    sessions: new TrainingSessions(),
    backend: () => (sealBackend ??= loadSealBackend()),
  };
}

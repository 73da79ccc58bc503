/**
 * One party's side of a model in `scoring_models` (migration 0022): the signed spec, approvals,
 * status, aligned rows, sealed secrets, the checkpoint after the last step, progress and the final
 * model. Secrets (the brand's HE secret key and noise seed, the provider's mask seed) are sealed
 * under a key derived from the master key and bound to tenant, model and role, so a resumed worker
 * gets the same key and seeds (and so the same messages) and the bytes cannot serve another model.
 */
import { deriveKey } from '../../crypto/derive-key.ts';
import { open, seal } from '../../crypto/seal.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { ModelApproval, ModelSpecDocument } from './model-agreement.ts';
import { ScoringError } from './scoring-errors.ts';

export type ModelRole = 'brand' | 'provider';
export type ModelStatus = 'proposed' | 'approved' | 'training' | 'trained' | 'failed';

export interface EpochProgress {
  readonly epoch: number;
  readonly step: number;
  /** Brand only: log-loss and ROC AUC (speed, lookalike) on the held-out validation rows. */
  readonly validationLoss?: number | null;
  readonly validationAuc?: number | null;
  readonly at: string;
}

export interface ModelRecord {
  readonly id: string;
  readonly collaborationId: string;
  readonly role: ModelRole;
  readonly peerNodeId: string;
  readonly spec: ModelSpecDocument;
  readonly approvals: ModelApproval[];
  readonly status: ModelStatus;
  /** This node's person ids, training rows then validation rows, in the order both parties share. */
  readonly rowPersons: number[] | null;
  readonly checkpoint: unknown;
  readonly progress: EpochProgress[];
  readonly model: unknown;
  readonly error: string | null;
  readonly createdAt: Date;
}

type Row = {
  id: string;
  collaboration_id: string;
  role: ModelRole;
  peer_node_id: string;
  spec: unknown;
  approvals: unknown;
  status: ModelStatus;
  row_persons: unknown;
  checkpoint: unknown;
  progress: unknown;
  model: unknown;
  error: string | null;
  created_at: Date;
};

const toRecord = (row: Row): ModelRecord => ({
  id: row.id,
  collaborationId: row.collaboration_id,
  role: row.role,
  peerNodeId: row.peer_node_id,
  spec: row.spec as ModelSpecDocument,
  approvals: row.approvals as ModelApproval[],
  status: row.status,
  rowPersons: row.row_persons as number[] | null,
  checkpoint: row.checkpoint,
  progress: row.progress as EpochProgress[],
  model: row.model,
  error: row.error,
  createdAt: row.created_at,
});

const columns = ['id', 'collaboration_id', 'role', 'peer_node_id', 'spec', 'approvals', 'status', 'row_persons', 'checkpoint', 'progress', 'model', 'error', 'created_at'] as const;

export async function insertModel(trx: TenantTransaction, model: { spec: ModelSpecDocument; role: ModelRole; peerNodeId: string; approvals: ModelApproval[]; status: ModelStatus; actor: string }): Promise<void> {
  await trx
    .insertInto('scoring_models')
    .values({
      tenant_id: trx.tenantId,
      id: model.spec.id,
      collaboration_id: model.spec.collaborationId,
      role: model.role,
      peer_node_id: model.peerNodeId,
      spec: JSON.stringify(model.spec),
      approvals: JSON.stringify(model.approvals),
      status: model.status,
      created_by: model.actor,
    })
    .execute();
}

export async function findModel(trx: TenantTransaction, id: string, options: { forUpdate?: boolean } = {}): Promise<ModelRecord | undefined> {
  let query = trx.selectFrom('scoring_models').select(columns).where('id', '=', id);
  if (options.forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && toRecord(row);
}

export async function requireModel(trx: TenantTransaction, id: string, options: { forUpdate?: boolean } = {}): Promise<ModelRecord> {
  const model = await findModel(trx, id, options);
  if (!model) throw new ScoringError('ACCORD_ERR_SCORING_MODEL_UNKNOWN', `no model ${id}`);
  return model;
}

export async function listModels(trx: TenantTransaction, limit: number): Promise<ModelRecord[]> {
  const rows = await trx.selectFrom('scoring_models').select(columns).orderBy('created_at', 'desc').limit(limit).execute();
  return rows.map(toRecord);
}

export interface ModelChange {
  readonly status?: ModelStatus;
  readonly approvals?: ModelApproval[];
  readonly rowPersons?: number[];
  readonly secretsSealed?: Uint8Array;
  readonly checkpoint?: unknown;
  readonly progress?: EpochProgress[];
  readonly model?: unknown;
  readonly error?: string | null;
}

export async function updateModel(trx: TenantTransaction, id: string, change: ModelChange): Promise<void> {
  await trx
    .updateTable('scoring_models')
    .set({
      updated_at: new Date(),
      ...(change.status ? { status: change.status } : {}),
      ...(change.approvals ? { approvals: JSON.stringify(change.approvals) } : {}),
      ...(change.rowPersons ? { row_persons: JSON.stringify(change.rowPersons) } : {}),
      ...(change.secretsSealed ? { secrets_sealed: Buffer.from(change.secretsSealed) } : {}),
      ...(change.checkpoint !== undefined ? { checkpoint: JSON.stringify(change.checkpoint) } : {}),
      ...(change.progress ? { progress: JSON.stringify(change.progress) } : {}),
      ...(change.model !== undefined ? { model: JSON.stringify(change.model) } : {}),
      ...(change.error !== undefined ? { error: change.error } : {}),
    })
    .where('id', '=', id)
    .execute();
}

/** The party's secrets for one model. */
export interface ModelSecrets {
  /** 32 bytes: the brand's label-noise seed, or the provider's mask seed. */
  readonly seed: Uint8Array;
  /** The brand's HE secret key. */
  readonly heKey?: Uint8Array;
}

const sealKey = (masterKey: Uint8Array) => deriveKey(masterKey, 'accord/scoring/model-secrets/v1');
const contextOf = (tenantId: string, modelId: string, role: ModelRole) => new TextEncoder().encode(`accord/scoring/model-secrets/v1\0${tenantId}\0${modelId}\0${role}`);

export function sealSecrets(masterKey: Uint8Array, tenantId: string, modelId: string, role: ModelRole, secrets: ModelSecrets): Uint8Array {
  const plain = new TextEncoder().encode(JSON.stringify({ seed: Buffer.from(secrets.seed).toString('base64'), heKey: secrets.heKey ? Buffer.from(secrets.heKey).toString('base64') : null }));
  try {
    return seal(sealKey(masterKey), plain, contextOf(tenantId, modelId, role));
  } finally {
    plain.fill(0);
  }
}

export async function openSecrets(trx: TenantTransaction, masterKey: Uint8Array, model: ModelRecord): Promise<ModelSecrets> {
  const row = await trx.selectFrom('scoring_models').select('secrets_sealed').where('id', '=', model.id).executeTakeFirstOrThrow();
  if (!row.secrets_sealed) throw new ScoringError('ACCORD_ERR_SCORING_MODEL_STATE', `model ${model.id} has no secrets yet`);
  const plain = open(sealKey(masterKey), row.secrets_sealed, contextOf(trx.tenantId, model.id, model.role));
  const parsed = JSON.parse(new TextDecoder().decode(plain)) as { seed: string; heKey: string | null };
  plain.fill(0);
  return { seed: new Uint8Array(Buffer.from(parsed.seed, 'base64')), ...(parsed.heKey ? { heKey: new Uint8Array(Buffer.from(parsed.heKey, 'base64')) } : {}) };
}

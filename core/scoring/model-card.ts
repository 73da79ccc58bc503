/**
 * A model's card, as each party may see it: the spec both signed and who approved what, the
 * features used (the provider's tags by name and weight only on the provider's side; the brand sees
 * how many), metrics (validation AUC and loss at the brand), the provider's audit verdict, the ε the
 * label-DP noise spent, and the bytes exchanged.
 */
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { labelDpEpsilon } from './label-dp.ts';
import { messageBytes } from './model-messages.ts';
import { effectiveSpecOf } from './model-proposals.ts';
import type { ModelRecord } from './model-store.ts';
import type { BrandModelJson, ProviderModelJson } from './training-turns.ts';

const LABEL_DP_DELTA = 1e-5;

export async function modelCard(trx: TenantTransaction, model: ModelRecord) {
  const spec = effectiveSpecOf(model);
  const brand = model.role === 'brand' ? (model.model as BrandModelJson | null) : null;
  const provider = model.role === 'provider' ? (model.model as ProviderModelJson | null) : null;
  return {
    modelId: model.id,
    name: spec.name,
    target: spec.target,
    role: model.role,
    status: model.status,
    collaborationId: model.collaborationId,
    approvals: model.approvals.map((a) => ({ nodeId: a.nodeId, constraints: a.constraints })),
    features: {
      brand: model.role === 'brand' ? spec.brandTags : spec.brandTags.length,
      provider: provider ? spec.providerTags.map((tag, j) => ({ tag, weight: provider.weights[j]! })) : spec.providerTags.length,
    },
    label: model.role === 'brand' ? spec.labelTag : null,
    metrics: brand ? brand.metrics : null,
    audit: provider ? { passed: provider.audit.passed, reasons: provider.audit.reasons, maxTagShare: provider.audit.maxTagShare, weightedTags: provider.audit.weightedTags } : brand ? brand.providerAudit : null,
    labelPrivacy: { sigma: spec.labelDpSigma, epochs: spec.epochs, delta: LABEL_DP_DELTA, epsilon: spec.labelDpSigma === 0 ? null : labelDpEpsilon(spec.labelDpSigma, spec.epochs, LABEL_DP_DELTA) },
    rows: model.rowPersons?.length ?? null,
    bytes: await messageBytes(trx, model.id),
    progress: model.progress,
  };
}

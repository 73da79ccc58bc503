/**
 * What each party trains on, from its own stores: the aligned rows split into training rows and
 * held-out validation rows (the same split on both sides, from the row count alone), the HE-level
 * spec both sessions run under, and each party's columns from its tags.
 */
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { ModelSpecDocument } from './model-agreement.ts';
import { defineModelSpec, type ScoringModelSpec, type ScoringPolicy } from './model-spec.ts';
import { featureColumns, tagColumns } from './tag-columns.ts';

/** Held out for validation: a tenth of the rows, at least one scoring batch's worth. */
export function trainingSplit(rows: number, policy: ScoringPolicy): { train: number; validation: number } {
  const validation = Math.max(policy.minScoringBatch, Math.round(rows / 10));
  return { train: Math.max(0, rows - validation), validation };
}

export function heSpecOf(spec: ModelSpecDocument, trainRows: number, policy: ScoringPolicy): ScoringModelSpec {
  return defineModelSpec(
    {
      modelId: spec.id,
      task: spec.target === 'revenue' ? 'linear' : 'logistic',
      heParams: spec.heParams,
      rows: trainRows,
      providerFeatures: spec.providerTags.length,
      brandFeatures: spec.brandTags.length,
      batchRows: spec.batchRows,
      epochs: spec.epochs,
      learningRate: spec.learningRate,
      l2: spec.l2,
      labelDpSigma: spec.labelDpSigma,
    },
    policy,
  );
}

export interface RowsData {
  readonly features: Float64Array[];
  /** Brand only. */
  readonly labels: Float64Array;
}

/** A party's columns over its aligned persons: its features (the brand's, or the provider's tags) and, at the brand, its labels. */
export async function partyColumns(trx: TenantTransaction, spec: ModelSpecDocument, role: 'brand' | 'provider', persons: readonly number[]): Promise<RowsData> {
  if (role === 'provider') return { features: featureColumns(await tagColumns(trx, spec.providerTags, persons)), labels: new Float64Array(0) };
  const [labels, ...features] = await tagColumns(trx, [spec.labelTag, ...spec.brandTags], persons);
  // A lookalike's label is seed membership: no seed tag means not in the seed.
  return { features: featureColumns(features), labels: spec.target === 'lookalike' ? labels!.map((y) => (Number.isNaN(y) ? 0 : y)) : labels! };
}

export const rowsOf = (data: RowsData, start: number, end: number): RowsData => ({
  features: data.features.map((column) => column.subarray(start, end)),
  labels: data.labels.subarray(start, end),
});

/**
 * Rule tags through the job queue: `tags.compute-rule` computes one rule tag of the job's tenant,
 * and a scheduled rule tag re-enqueues itself (core/tags/scheduled-tag-runs.ts).
 */
import { computeRuleTag } from './compute-rule-tag.ts';
import { scheduledTagRuns } from './scheduled-tag-runs.ts';

export const COMPUTE_RULE_TAG_JOB = 'tags.compute-rule';

const runs = scheduledTagRuns(COMPUTE_RULE_TAG_JOB, 'rule', (inTenant, gate, key, actor) => computeRuleTag(inTenant, gate, key, actor));

export const enqueueRuleTagRun = runs.enqueueRun;
export const computeRuleTagJob = runs.processor;

/**
 * SQL tags through the job queue: `tags.compute-sql` runs one SQL tag of the job's tenant, and a
 * scheduled SQL tag re-enqueues itself (core/tags/scheduled-tag-runs.ts).
 */
import { computeSqlTag } from './compute-sql-tag.ts';
import { scheduledTagRuns } from './scheduled-tag-runs.ts';

export const COMPUTE_SQL_TAG_JOB = 'tags.compute-sql';

const runs = scheduledTagRuns(COMPUTE_SQL_TAG_JOB, 'sql', (inTenant, gate, key, actor) => computeSqlTag(inTenant, gate, key, actor));

export const enqueueSqlTagRun = runs.enqueueRun;
export const computeSqlTagJob = runs.processor;

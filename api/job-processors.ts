/**
 * The job processors this node runs, by job name. Each feature adds its processors here; this is
 * the only place they are wired to the runner.
 */
import type { JobProcessors } from '../core/jobs/job-runner.ts';

export const jobProcessors: JobProcessors = {};

/**
 * The `subject.erased` job: for every recipient the erased person's data went to, records a
 * deletion notice as a processing record (GDPR Art. 19: recipients are told of an erasure; CCPA
 * Regs §7026(f): third parties the data was sold or shared to are told); the notice is the proof
 * that the obligation was acted on. Removing the person from what was derived from them is not done
 * here: segments and stored PSI matches are erased in the erasure's own transaction, and stores
 * outside this database join erase-derived-stores.ts with a queued removal of their own.
 * At-least-once delivery: a recipient already noticed for this job is skipped, so a rerun writes
 * nothing twice.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import { recordProcessing } from '../audit/processing-records.ts';
import { UnrecoverableJobError, type JobProcessor } from '../jobs/job-runner.ts';

const payloadSchema = z.object({
  requestId: z.uuid(),
  subjectTombstone: z.string().regex(/^[0-9a-f]{64}$/),
  tombstones: z.array(z.string().regex(/^[0-9a-f]{64}$/)),
  recipients: z.array(z.string().min(1)),
});

export const ERASURE_NOTICE_ACTIVITY = 'privacy.erasure.recipient_notice';

export const notifyErasureRecipients: JobProcessor = async (job) => {
  const parsed = payloadSchema.safeParse(job.payload);
  if (!parsed.success) throw new UnrecoverableJobError(`subject.erased payload is malformed: ${parsed.error.message}`);
  const { requestId, subjectTombstone, tombstones, recipients } = parsed.data;
  await job.inTenant(async (trx) => {
    for (const recipient of recipients) {
      const marker = { jobId: job.id, recipient };
      const done = await trx
        .selectFrom('processing_records')
        .select('id')
        .where('activity', '=', ERASURE_NOTICE_ACTIVITY)
        .where(sql<boolean>`details @> ${JSON.stringify(marker)}::jsonb`)
        .executeTakeFirst();
      if (done) continue;
      const at = new Date();
      await recordProcessing(trx, {
        activity: ERASURE_NOTICE_ACTIVITY,
        purpose: 'privacy.erasure',
        collaboration_id: null,
        actor: `job:${job.id}`,
        subjects_in: 1,
        subjects_out: 0,
        started_at: at,
        finished_at: at,
        details: { ...marker, requestId, subjectTombstone, tombstones, basis: ['GDPR Art. 19', 'CCPA Regs §7026(f)'], notice: 'erasure' },
      });
    }
  });
};

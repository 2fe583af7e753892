/**
 * The `study` job: runs or resumes one stored study (engine/research/study-service.ts `run`): its
 * trials fan out over the trial runner (worker threads in the server), each stored as it finishes,
 * so a ticket recovered after a restart resumes where the last attempt stopped. Progress is trials
 * finished of all the study runs ("312 of 1000 trials"); a cancel stops it at the next trial. Queue
 * studies with `engine.studies.enqueue`, which checks the request and stores the study first.
 * Under Inngest the body runs as durable steps instead (`runSteps`): batches of trials fan out as
 * parallel steps, each storing its trials, so a redelivered step skips the trials already stored.
 */
import { z } from 'zod';
import { NonRetryableJobError } from './job-context';
import { defineJob } from './job-definition';

export const studyJobParamsSchema = z.strictObject({
  /** The stored study to run. */
  studyId: z.string().min(1),
});

export const studyJob = defineJob({
  kind: 'study',
  webhookStartable: true,
  summary: 'Runs a parameter study (search, walk-forward, overfitting guards) over a strategy, trials in parallel; resumes after a restart.',
  paramsSchema: studyJobParamsSchema,
  example: { studyId: '00000000-0000-4000-8000-000000000000' },
  async run(params, ctx, services) {
    if (!services.runStudy) throw new NonRetryableJobError('this server was built without study support');
    return services.runStudy(params.studyId, ctx);
  },
  async runSteps(params, ctx, services) {
    if (!services.runStudySteps) throw new NonRetryableJobError('this server was built without study support');
    return services.runStudySteps(params.studyId, ctx);
  },
});

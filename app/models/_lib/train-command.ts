/**
 * The CLI command the Models page offers for training a first model: `enqueue` with the
 * intent-veto job definition's own example params, so the command always validates.
 */
import { trainIntentVetoJob } from '@/engine/jobs/train-jobs';

/** `npm run cli -- enqueue --kind train-intent-veto --params '{...}' --wait` (POSIX shell quoting). */
export const TRAIN_INTENT_VETO_COMMAND = `npm run cli -- enqueue --kind ${trainIntentVetoJob.kind} --params '${JSON.stringify(trainIntentVetoJob.example)}' --wait`;

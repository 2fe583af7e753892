/** `POST /api/v1/studies/{id}/apply` (trader). */
import { defineOperation } from '@/app/_server/api-v1/operation';
import { studySummarySchema } from '../../operation';
import { studyIdParam } from '../operation';

export const applyStudy = defineOperation({
  operationId: 'applyStudy',
  method: 'post',
  path: '/api/v1/studies/{id}/apply',
  tag: 'studies',
  summary: 'Apply a study\'s best params to the strategy settings',
  description:
    'Writes the best params of a completed study into the stored strategy settings (what /strategies shows and runs use by default): the study\'s strategy becomes enabled with them, its weight kept. ' +
    'The audit log keeps the params before and after. A study that is not completed, or whose trials never scored, answers 400.',
  role: 'trader',
  params: studyIdParam,
  response: { status: 200, description: 'The study now (appliedAtMs, appliedBy set).', schema: studySummarySchema },
  errors: { 404: 'No study has this id.' },
  audit: { action: 'study.apply', target: ({ path }) => path.id },
});

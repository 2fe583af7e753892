/** `POST /api/v1/studies/{id}/cancel` (trader). */
import { defineOperation } from '@/app/_server/api-v1/operation';
import { studySummarySchema } from '../../operation';
import { studyIdParam } from '../operation';

export const cancelStudy = defineOperation({
  operationId: 'cancelStudy',
  method: 'post',
  path: '/api/v1/studies/{id}/cancel',
  tag: 'studies',
  summary: 'Cancel a study',
  description: 'Cancels a queued study at once; a running one stops before its next trial. Finished trials are kept. A study that already ended answers 400.',
  role: 'trader',
  params: studyIdParam,
  response: { status: 200, description: 'The study now (without its trials).', schema: studySummarySchema },
  errors: { 404: 'No study has this id.' },
  audit: { action: 'study.cancel', target: ({ path }) => path.id },
});

'use server';
/**
 * Study server actions. `startStudy` (trader) checks the form and queues a study through
 * `engine.studies.enqueue` (which refuses an empty or inverted range, a grid above the trial cap, a
 * walk-forward window shorter than the warm-up or a market without candles, naming the field; nothing
 * queued); `cancelStudy` and `applyStudy` (trader, audited) stop a study or write its best params into
 * the saved strategy settings (/strategies); `studyStatus` (viewer) is what the study page's poller reads.
 */
import { z } from 'zod';
import { action } from '@/app/_server/auth/gate';
import { AppError } from '@/app/_server/auth/app-error';
import type { StudyStatus } from '@/engine/research/study';
import { studyFormSchema, studyRequestOfForm } from './_lib/study-form-schema';
import { applyAuditOf } from './_lib/apply-audit';

const studyId = z.object({ id: z.string().trim().min(1, 'expected a study id').max(100) });

export const startStudy = action(
  { role: 'trader', input: studyFormSchema, audit: { action: 'study.enqueue', target: (input) => `${input.strategy} ${input.exchange} ${input.symbol} ${input.timeframe}` }, revalidate: ['/studies'] },
  async ({ root, actor, input, audit }) => {
    if (!actor) throw new AppError('unauthorized:auth');
    const queued = await root.engine.studies.enqueue(studyRequestOfForm(input), { userId: actor.email });
    audit({ target: queued.studyId, after: queued });
    return queued;
  },
);

export const cancelStudy = action({ role: 'trader', input: studyId, audit: { action: 'study.cancel', target: (input) => input.id }, revalidate: ['/studies'] }, async ({ root, input, audit }) => {
  const study = await root.engine.studies.cancel(input.id);
  audit({ after: { status: study.status, done: study.progress.done, total: study.progress.total } });
  return { status: study.status };
});

/**
 * Writes the study's best params into the saved strategy settings (the installation's, as /strategies shows them); the audit entry keeps the
 * strategy's enabled flag and params before and after as stored, and any other setting of the group the write changed (`applyAuditOf`).
 */
export const applyStudy = action({ role: 'trader', input: studyId, audit: { action: 'study.apply', target: (input) => input.id }, revalidate: ['/studies', '/strategies'] }, async ({ root, actor, input, audit }) => {
  if (!actor) throw new AppError('unauthorized:auth');
  const before = (await root.engine.getTradingSettings()).strategy;
  const study = await root.engine.studies.applyToSettings(input.id, { userId: actor.email });
  const after = (await root.engine.getTradingSettings()).strategy;
  audit({ target: `${input.id} ${study.request.strategy}`, ...applyAuditOf(study.request.strategy, before, after) });
  return { appliedAtMs: study.appliedAtMs, params: study.best?.params ?? null };
});

/** What the study page's poller shows. */
export interface StudyStatusView {
  status: StudyStatus;
  done: number;
  total: number;
  message: string | null;
  error: string | null;
}

export const studyStatus = action({ role: 'viewer', input: studyId }, async ({ root, input }): Promise<StudyStatusView> => {
  const study = await root.engine.studies.summary(input.id);
  return { status: study.status, done: study.progress.done, total: study.progress.total, message: study.progress.message, error: study.error };
});

import type { StudyStatus } from '@/engine/research/study';

const STATUS_CLASS: Record<StudyStatus, string> = { queued: 'badge', running: 'badge warn', completed: 'badge ok', failed: 'badge bad', cancelled: 'badge' };

/** A study's status as a badge, with its progress while live ("running 312 / 1,000"). */
export function StudyStatusBadge({ status, done, total }: { status: StudyStatus; done: number; total: number }) {
  const live = status === 'queued' || status === 'running';
  return (
    <span className={STATUS_CLASS[status]} data-testid="study-status" data-status={status}>
      {status}
      {live && total > 0 ? ` ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}` : ''}
    </span>
  );
}

const LEVEL_CLASS: Record<string, string> = { low: 'badge ok', survives: 'badge ok', elevated: 'badge warn', doubtful: 'badge warn', 'likely-overfit': 'badge bad', 'likely-luck': 'badge bad' };
const LEVEL_TEXT: Record<string, string> = {
  low: 'low overfitting risk',
  elevated: 'elevated overfitting risk',
  'likely-overfit': 'likely overfit',
  survives: 'survives deflation',
  doubtful: 'doubtful',
  'likely-luck': 'likely luck',
};

/** An overfitting guard's level (PBO or deflated Sharpe) as a coloured badge in words. */
export function VerdictBadge({ level, testId }: { level: string; testId?: string }) {
  return (
    <span className={LEVEL_CLASS[level] ?? 'badge'} data-testid={testId} data-level={level}>
      {LEVEL_TEXT[level] ?? level}
    </span>
  );
}

'use client';
/** Deletes a finished run (trader; audited) and returns to the runs list. */
import { useRouter } from 'next/navigation';
import { ActionForm } from '@/app/_components/action-form';
import { deleteBacktestRun } from '../actions';

export function DeleteRunForm({ runId }: { runId: string }) {
  const router = useRouter();
  return (
    <ActionForm action={deleteBacktestRun} submitLabel="Delete this run" testId="delete-run-form" danger onDone={() => router.push('/backtests')}>
      <input type="hidden" name="runId" value={runId} />
      <p className="muted">
        <small>Deletes the run with its trades and decisions; comparisons that include it say it is gone.</small>
      </p>
    </ActionForm>
  );
}

'use client';
import { QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState, useTransition } from 'react';
import type { ActionResult } from '@/app/_server/auth/gate';
import type { StudyStatus } from '@/engine/research/study';
import type { StudyStatusView } from '../actions';
import { StudyStatusBadge } from './study-badges';

const FINAL: readonly StudyStatus[] = ['completed', 'failed', 'cancelled'];

function Live({
  studyId,
  initial,
  canCancel,
  poll,
  cancel,
}: {
  studyId: string;
  initial: StudyStatusView;
  canCancel: boolean;
  poll: (input: unknown) => Promise<ActionResult<StudyStatusView>>;
  cancel: (input: unknown) => Promise<ActionResult<{ status: StudyStatus }>>;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [cancelError, setCancelError] = useState<string | null>(null);
  const { data, error } = useQuery({
    queryKey: ['study-status', studyId],
    queryFn: async () => {
      const result = await poll({ id: studyId });
      if (!result.ok) throw new Error(result.error.message);
      return result.data;
    },
    initialData: initial,
    refetchInterval: (query) => (FINAL.includes(query.state.data?.status ?? 'queued') ? false : 1000),
  });
  // Once the study ends, the page re-renders on the server with its results.
  const refreshed = useRef(FINAL.includes(initial.status));
  useEffect(() => {
    if (!refreshed.current && FINAL.includes(data.status)) {
      refreshed.current = true;
      router.refresh();
    }
  }, [data.status, router]);
  const live = !FINAL.includes(data.status);
  const fraction = data.total > 0 ? data.done / data.total : 0;
  return (
    <div aria-live="polite" data-testid="study-progress" data-status={data.status}>
      <p>
        <StudyStatusBadge status={data.status} done={data.done} total={data.total} />
        {data.message ? ` — ${data.message}` : ''}
      </p>
      {live && <progress className="progress" max={1} value={fraction} aria-label="Study progress" />}
      {error && (
        <p role="alert" className="error">
          Could not read the study: {error.message}
        </p>
      )}
      {data.status === 'failed' && (
        <p role="alert" className="error" data-testid="study-failed">
          The study failed: {data.error ?? 'no reason recorded'}
        </p>
      )}
      {live && canCancel && (
        <p>
          <button
            type="button"
            disabled={pending}
            data-testid="cancel-study"
            onClick={() =>
              startTransition(async () => {
                setCancelError(null);
                const result = await cancel({ id: studyId });
                if (!result.ok) setCancelError(result.error.message);
                else router.refresh();
              })
            }
          >
            {pending ? 'Cancelling…' : 'Cancel study'}
          </button>{' '}
          <span className="muted">Finished trials are kept.</span>
        </p>
      )}
      {cancelError && (
        <p role="alert" className="error">
          {cancelError}
        </p>
      )}
    </div>
  );
}

/** A study's status and progress, polled every second while it is queued or running (with a cancel button for traders). */
export function StudyLive(props: Parameters<typeof Live>[0]) {
  const [client] = useState(() => new QueryClient({ defaultOptions: { queries: { retry: 1 } } }));
  return (
    <QueryClientProvider client={client}>
      <Live {...props} />
    </QueryClientProvider>
  );
}

'use client';
import { useActionState, type ReactNode } from 'react';
import type { ActionResult } from '@/app/_server/auth/gate';

/**
 * A form bound to a gated server action. Shows the error (with field errors) or, on success,
 * each returned value with `data-testid="result-<key>"` — secrets shown once live only here.
 */
export function ActionForm({
  action,
  children,
  submitLabel,
  testId,
  showResult = false,
}: {
  action: (input: unknown) => Promise<ActionResult<unknown>>;
  children?: ReactNode;
  submitLabel: string;
  testId?: string;
  showResult?: boolean;
}) {
  const [state, formAction, pending] = useActionState(async (_previous: ActionResult<unknown> | null, formData: FormData) => action(formData), null);
  return (
    <form action={formAction} data-testid={testId} className="action-form">
      {children}
      <button type="submit" disabled={pending}>
        {submitLabel}
      </button>
      {state && !state.ok && (
        <p role="alert" className="error" data-testid="action-error">
          {state.error.message}
        </p>
      )}
      {state?.ok && showResult && state.data !== null && typeof state.data === 'object' && (
        <dl className="result" data-testid="action-result">
          {Object.entries(state.data as Record<string, unknown>).map(([key, value]) => (
            <div key={key}>
              <dt>{key}</dt>
              <dd>
                <code data-testid={`result-${key}`}>{String(value)}</code>
              </dd>
            </div>
          ))}
        </dl>
      )}
    </form>
  );
}

'use client';
import type { ButtonHTMLAttributes } from 'react';
import { useHydrated } from './use-hydrated';

/**
 * A form's submit button, disabled while `busy` and until React runs the form in the browser (see {@link useHydrated}).
 * Before that, a click or Enter would submit the bare HTML form: a GET with every field in the URL (a password into the
 * address bar, the history and access logs) or a React action that is not wired yet (the click is lost), and text typed
 * into a controlled field may never reach the form's state. Disabled, the button blocks both, and a browser test's
 * click waits for it. Inside a `HydrationGate` the gate's fieldset disables it as well; a form without client state
 * (its values in the DOM) has only this.
 */
export function SubmitButton({ busy = false, children, ...rest }: Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'type' | 'disabled'> & { busy?: boolean }) {
  const hydrated = useHydrated();
  return (
    <button type="submit" {...rest} disabled={!hydrated || busy}>
      {children}
    </button>
  );
}

/**
 * A form's last row: its submit button (labelled `busyLabel` while `busy`) and the form-level error beside it, as a
 * `role="alert"` paragraph (`data-testid="form-error"`) when there is one.
 */
export function SubmitRow({ busy, label, busyLabel, error, testId }: { busy: boolean; label: string; busyLabel: string; error: string | null | undefined; testId: string }) {
  return (
    <div className="actions-row" style={{ marginTop: '0.75rem' }}>
      <SubmitButton busy={busy} data-testid={testId}>
        {busy ? busyLabel : label}
      </SubmitButton>
      {error && (
        <p role="alert" className="error" data-testid="form-error">
          {error}
        </p>
      )}
    </div>
  );
}

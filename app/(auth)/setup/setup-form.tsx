'use client';
import { useState, type FormEvent } from 'react';
import type { ActionResult } from '@/app/_server/auth/gate';
import { SubmitButton } from '@/app/_components/submit-button';

type State = { kind: 'idle' } | { kind: 'busy' } | { kind: 'error'; message: string; fieldErrors: Record<string, string[]> };

/**
 * First-run setup: creates the first admin through the gated action, then signs them in with the
 * same credentials (the regular, audited sign-in) and opens the overview with its next steps.
 */
export function SetupForm({ action }: { action: (input: unknown) => Promise<ActionResult<{ email: string }>> }) {
  const [state, setState] = useState<State>({ kind: 'idle' });
  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    setState({ kind: 'busy' });
    const created = await action(data).catch(() => null);
    if (!created) {
      setState({ kind: 'error', message: 'The server could not be reached; check the connection and try again.', fieldErrors: {} });
      return;
    }
    if (!created.ok) {
      setState({ kind: 'error', message: created.error.message, fieldErrors: created.error.fieldErrors ?? {} });
      return;
    }
    const signedIn = await fetch('/api/auth/sign-in/email', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: created.data.email, password: data.get('password') }),
    }).catch(() => null);
    if (!signedIn?.ok) {
      // The admin exists; only the automatic sign-in failed.
      window.location.assign(`/login?next=${encodeURIComponent('/?welcome=1')}`);
      return;
    }
    window.location.assign('/?welcome=1');
  }
  const fieldError = (name: string) =>
    state.kind === 'error' && state.fieldErrors[name]?.length ? (
      <span className="field-error" data-testid={`error-${name}`} role="alert">
        {state.fieldErrors[name].join('; ')}
      </span>
    ) : null;
  return (
    <form method="post" onSubmit={onSubmit} data-testid="setup-form" className="stack-form">
      <label>
        E-mail <input name="email" type="email" autoComplete="username" required />
      </label>
      {fieldError('email')}
      <label>
        Name <input name="name" autoComplete="name" />
      </label>
      <label>
        Password <span className="muted">(at least 10 characters)</span> <input name="password" type="password" autoComplete="new-password" minLength={10} required />
      </label>
      {fieldError('password')}
      <SubmitButton busy={state.kind === 'busy'}>
        {state.kind === 'busy' ? 'Creating…' : 'Create admin and sign in'}
      </SubmitButton>
      {state.kind === 'error' && (
        <p role="alert" className="error" data-testid="action-error">
          {state.message}
        </p>
      )}
    </form>
  );
}

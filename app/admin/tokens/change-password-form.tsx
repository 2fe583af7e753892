'use client';
/**
 * Change your own password. Posts to better-auth's `/api/auth/change-password` (the auth kit lets
 * that path through; better-auth checks the session and the current password) and revokes every
 * other session of the user, so a leaked session ends with the old password.
 */
import { useState, type FormEvent } from 'react';
import { SubmitButton } from '@/app/_components/submit-button';

const MIN_PASSWORD_LENGTH = 10;

type State = { kind: 'idle' } | { kind: 'busy' } | { kind: 'ok' } | { kind: 'error'; message: string };

/** `next`: where to go once the password is changed (the forced change after an invite); stays on the page without it. */
export function ChangePasswordForm({ next }: { next?: string } = {}) {
  const [state, setState] = useState<State>({ kind: 'idle' });

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const currentPassword = String(data.get('currentPassword') ?? '');
    const newPassword = String(data.get('newPassword') ?? '');
    if (newPassword.length < MIN_PASSWORD_LENGTH) {
      setState({ kind: 'error', message: `The new password needs at least ${MIN_PASSWORD_LENGTH} characters.` });
      return;
    }
    if (newPassword !== String(data.get('repeatPassword') ?? '')) {
      setState({ kind: 'error', message: 'The two new passwords differ; type the same one twice.' });
      return;
    }
    setState({ kind: 'busy' });
    try {
      const response = await fetch('/api/auth/change-password', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ currentPassword, newPassword, revokeOtherSessions: true }),
      });
      if (response.ok) {
        form.reset();
        setState({ kind: 'ok' });
        if (next) window.location.assign(next);
        return;
      }
      const body = (await response.json().catch(() => null)) as { message?: string; error?: { message?: string } } | null;
      const message = body?.message ?? body?.error?.message ?? `the server answered ${response.status}`;
      setState({ kind: 'error', message: /invalid password/i.test(message) ? 'The current password is wrong.' : `Could not change the password: ${message}.` });
    } catch {
      setState({ kind: 'error', message: 'The server could not be reached; check the connection and try again.' });
    }
  }

  return (
    <form method="post" onSubmit={onSubmit} data-testid="change-password-form" className="action-form">
      <label>
        Current password <input name="currentPassword" type="password" autoComplete="current-password" required />
      </label>
      <label>
        New password <input name="newPassword" type="password" autoComplete="new-password" minLength={MIN_PASSWORD_LENGTH} required />
      </label>
      <label>
        Repeat new password <input name="repeatPassword" type="password" autoComplete="new-password" minLength={MIN_PASSWORD_LENGTH} required />
      </label>
      <SubmitButton busy={state.kind === 'busy'}>
        {state.kind === 'busy' ? 'Changing…' : 'Change password'}
      </SubmitButton>
      {state.kind === 'ok' && (
        <p role="status" data-testid="change-password-result">
          Password changed. Your other sessions were signed out.
        </p>
      )}
      {state.kind === 'error' && (
        <p role="alert" className="error" data-testid="change-password-error">
          {state.message}
        </p>
      )}
    </form>
  );
}

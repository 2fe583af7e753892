'use client';
import { useState } from 'react';
import { SubmitButton } from '@/app/_components/submit-button';

/** E-mail + password sign-in against better-auth; follows `next` (same-origin paths only) on success. */
export function LoginForm({ next }: { next: string }) {
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  return (
    <form
      // POST, never the default GET: a submit the script does not handle must not put the password in the URL.
      method="post"
      data-testid="login-form"
      onSubmit={async (event) => {
        event.preventDefault();
        setPending(true);
        setError(null);
        const form = new FormData(event.currentTarget);
        const response = await fetch('/api/auth/sign-in/email', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: form.get('email'), password: form.get('password') }),
        });
        setPending(false);
        if (response.ok) {
          window.location.assign(next);
          return;
        }
        const body = (await response.json().catch(() => ({}))) as { message?: string; error?: { message?: string } };
        setError(body.error?.message ?? body.message ?? `sign-in failed (${response.status})`);
      }}
    >
      <label>
        E-mail <input name="email" type="email" autoComplete="username" required />
      </label>
      <label>
        Password <input name="password" type="password" autoComplete="current-password" required />
      </label>
      <SubmitButton busy={pending}>
        Sign in
      </SubmitButton>
      {error && (
        <p role="alert" className="error" data-testid="login-error">
          {error}
        </p>
      )}
    </form>
  );
}

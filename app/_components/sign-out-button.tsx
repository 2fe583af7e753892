'use client';

/** Ends this browser's session through better-auth, then goes to the login page. */
export function SignOutButton() {
  return (
    <button
      type="button"
      data-testid="sign-out"
      onClick={async () => {
        await fetch('/api/auth/sign-out', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        window.location.assign('/login');
      }}
    >
      Sign out
    </button>
  );
}

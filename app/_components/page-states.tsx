'use client';
import { useEffect } from 'react';

/** Shown while a page's server data loads. */
export function PageLoading({ what }: { what: string }) {
  return (
    <section className="card" aria-busy="true" data-testid="page-loading">
      <p className="muted" role="status">
        Loading {what}…
      </p>
    </section>
  );
}

/** Shown when a page fails to render: the digest (for the server log), retry, and a way home. Details stay in the log. */
export function PageError({ error, reset, what }: { error: Error & { digest?: string }; reset: () => void; what: string }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  return (
    <section className="card" role="alert" data-testid="page-error">
      <h1>Could not load {what}</h1>
      <p className="muted">
        Something went wrong on the server{error.digest ? ` (reference ${error.digest}; see the server log)` : ''}. The engine may be starting or the database unreachable.
      </p>
      <p>
        <button type="button" onClick={reset}>
          Try again
        </button>{' '}
        <a href="/">Back to the overview</a>
      </p>
    </section>
  );
}

'use client';

/** Shown when a journal page fails: the message (no details leak; they are in the server log) and a retry. */
export default function JournalError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <section className="card" role="alert" data-testid="page-error">
      <h1>The journal could not be loaded</h1>
      <p>{error.digest ? `Error reference ${error.digest}.` : error.message}</p>
      <button type="button" onClick={reset}>
        Try again
      </button>
    </section>
  );
}

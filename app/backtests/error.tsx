'use client';

/** Shown when a backtest page fails: a short message (details are in the server log) and a retry. */
export default function BacktestsError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <section className="card" role="alert" data-testid="page-error">
      <h1>This page could not be loaded</h1>
      <p>{error.digest ? `Error reference ${error.digest}.` : error.message}</p>
      <button type="button" onClick={reset}>
        Try again
      </button>
    </section>
  );
}

'use client';

export default function LiveError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <section className="card" role="alert">
      <h1>Live sessions could not load</h1>
      <p className="muted">{error.digest ? `Reference ${error.digest}. ` : ''}Check the server log, then try again.</p>
      <button type="button" onClick={reset}>Try again</button>
    </section>
  );
}

/** Shown while a backtest page loads. */
export default function Loading() {
  return (
    <section className="card" aria-busy="true" aria-live="polite">
      <h1>Backtests</h1>
      <p className="muted">Loading…</p>
    </section>
  );
}

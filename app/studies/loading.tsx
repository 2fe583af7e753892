/** Shown while a studies page loads. */
export default function Loading() {
  return (
    <section className="card" aria-busy="true" aria-live="polite">
      <h1>Studies</h1>
      <p className="muted">Loading…</p>
    </section>
  );
}

export default function Loading() {
  return (
    <section className="card" aria-busy="true">
      <p className="muted">Loading live sessions…</p>
    </section>
  );
}

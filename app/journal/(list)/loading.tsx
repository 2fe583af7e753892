import '../journal.css';

/** Shown while a journal page loads. */
export default function Loading() {
  return (
    <section className="card" aria-busy="true" aria-live="polite">
      <h1>Journal</h1>
      <p className="skeleton">Loading the journal…</p>
    </section>
  );
}

/** HTTP 404 for a path no page serves (pages with an unknown id render their own, naming the id). */
export default function NotFound() {
  return (
    <section className="card" data-testid="not-found">
      <h1>404 — not found</h1>
      <p>
        No page lives at this address. Go to the <a href="/">overview</a>.
      </p>
    </section>
  );
}

import { headers } from 'next/headers';
import { lastPathSegment } from '@/app/_server/http/edge-policy';

/** HTTP 404 for a study id that does not exist (the page calls `notFound()`); names the id from the request path. */
export default async function NotFound() {
  const id = lastPathSegment(await headers());
  return (
    <section className="card" data-testid="empty-state">
      <h1>Study not found</h1>
      <p>
        {id ? (
          <>
            No study has id <code>{id}</code>.{' '}
          </>
        ) : null}
        <a href="/studies">Back to studies</a>
      </p>
    </section>
  );
}

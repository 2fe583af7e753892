import { requireRole } from '@/app/_server/auth/page-gate';
import { ScrollTable } from '@/app/_components/scroll-table';

export const dynamic = 'force-dynamic';

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const str = (v: string | string[] | undefined) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
/** `datetime-local` value (UTC) -> epoch ms; undefined when empty or unparseable. */
const msOf = (v: string | undefined) => {
  if (!v) return undefined;
  const ms = Date.parse(v.endsWith('Z') ? v : `${v}Z`);
  return Number.isFinite(ms) ? ms : undefined;
};
const PREVIEW_CHARS = 48;

/**
 * A before/after value: a one-line preview that expands to the whole value, pretty-printed and
 * wrapped (long values made the table, and the page, thousands of pixels wide).
 */
function AuditValue({ value }: { value: unknown }) {
  if (value === null || value === undefined) return null;
  const line = JSON.stringify(value);
  if (line.length <= PREVIEW_CHARS) return <code className="audit-json-inline">{line}</code>;
  return (
    <details className="audit-json">
      <summary>
        <code>{`${line.slice(0, PREVIEW_CHARS)}…`}</code>
      </summary>
      <pre>{JSON.stringify(value, null, 2)}</pre>
    </details>
  );
}

/** Who acted: the user's e-mail, and how they were authenticated (session, API token, CLI, anonymous). */
const actorKindLabel: Record<string, string> = { session: 'signed in', token: 'API token', cli: 'CLI', webhook: 'webhook', anonymous: 'not signed in' };

/** Admin: the audit log, filtered by user, action and time (UTC), paged on the server. */
export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const access = await requireRole('admin', '/admin/audit');
  const params = await searchParams;
  const filters = { actorId: str(params.actorId), action: str(params.action), from: str(params.from), to: str(params.to) };
  const users = await access.root.auth.users.list();
  let page;
  try {
    page = await access.root.auth.audit.list({ actorId: filters.actorId, action: filters.action, fromMs: msOf(filters.from), toMs: msOf(filters.to), limit: 50, cursor: str(params.cursor) });
  } catch {
    page = { items: [], nextCursor: null };
  }
  const nextHref = page.nextCursor
    ? `?${new URLSearchParams({ ...Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)) as Record<string, string>, cursor: page.nextCursor })}`
    : null;
  return (
    <section className="card" aria-labelledby="audit-heading">
      <h1 id="audit-heading">Audit log</h1>
      <form method="get" className="filters" data-testid="audit-filters">
        <label>
          User{' '}
          <select name="actorId" defaultValue={filters.actorId ?? ''}>
            <option value="">anyone</option>
            {users.map((u) => (
              <option key={u.id} value={u.id}>{u.email}</option>
            ))}
          </select>
        </label>
        <label>
          Action <input name="action" defaultValue={filters.action ?? ''} placeholder="e.g. user.set_role" />
        </label>
        <label>
          From (UTC) <input type="datetime-local" name="from" defaultValue={filters.from ?? ''} />
        </label>
        <label>
          To (UTC) <input type="datetime-local" name="to" defaultValue={filters.to ?? ''} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <ScrollTable label="Audit log entries" data-testid="audit-table" className="audit-table">
        <thead>
          <tr><th scope="col">When (UTC)</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Outcome</th><th scope="col">Before</th><th scope="col">After</th></tr>
        </thead>
        <tbody>
          {page.items.map((e) => (
            <tr key={e.id} data-testid="audit-row">
              <td>{iso(e.atMs)}</td>
              <td data-testid="audit-actor">
                {e.actorEmail ?? '—'} <span className="muted">({actorKindLabel[e.actorKind] ?? e.actorKind})</span>
              </td>
              <td data-testid="audit-action">{e.action}</td>
              <td>{e.target}</td>
              <td>{e.outcome}</td>
              <td><AuditValue value={e.before} /></td>
              <td><AuditValue value={e.after} /></td>
            </tr>
          ))}
        </tbody>
      </ScrollTable>
      {page.items.length === 0 && <p className="muted">No entries match.</p>}
      {nextHref && <a href={nextHref} data-testid="audit-next">Older entries →</a>}
    </section>
  );
}

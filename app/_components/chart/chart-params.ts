/**
 * The chart's URL state (`/chart?…`), read by the chart page and written by every "show on chart"
 * link: market (`stream=exchange|symbol|timeframe`, or the three fields), whose markers
 * (`run`, `session`, `account`, or the picker's `source=run:<id>|session:<id>|account:<id>|live`, `live` being every
 * account's live rows) and the window (`from`/`to` or a centre `at`; epoch ms or an ISO date/time, UTC).
 */

export interface ChartParams {
  stream: string | undefined;
  runId: string | undefined;
  sessionId: string | undefined;
  /** One account's live rows and working stops (`account=<id>` or `source=account:<id>`). */
  accountId: string | undefined;
  /** `source=live`: every account's live rows (no working stops: they are each account's own). */
  allAccounts: boolean;
  fromMs: number | null;
  toMs: number | null;
  atMs: number | null;
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v) || undefined;

/** Epoch ms from `1704067200000` or `2024-01-01` / `2024-01-01T12:00:00Z`; null when absent or unreadable. */
function timeOf(v: string | undefined): number | null {
  if (v === undefined) return null;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  return Number.isFinite(n) ? n : null;
}

/** Reads the chart state from the search params; unknown values are ignored (the page falls back to defaults). */
export function readChartParams(search: Record<string, string | string[] | undefined>): ChartParams {
  const sourceParam = one(search.source);
  let runId = one(search.run);
  let sessionId = one(search.session);
  let accountId = one(search.account);
  if (sourceParam?.startsWith('run:')) [runId, sessionId, accountId] = [sourceParam.slice(4) || undefined, undefined, undefined];
  else if (sourceParam?.startsWith('session:')) [runId, sessionId, accountId] = [undefined, sourceParam.slice(8) || undefined, undefined];
  else if (sourceParam?.startsWith('account:')) [runId, sessionId, accountId] = [undefined, undefined, sourceParam.slice(8) || undefined];
  else if (sourceParam === 'live') runId = sessionId = accountId = undefined;
  const exchange = one(search.exchange);
  const symbol = one(search.symbol);
  const timeframe = one(search.timeframe);
  // Without a timeframe (a live trade knows none) the page picks the market's first stored timeframe.
  const stream = one(search.stream) ?? (exchange && symbol ? `${exchange}|${symbol}|${timeframe ?? ''}` : undefined);
  return {
    stream,
    runId,
    sessionId: runId ? undefined : sessionId,
    accountId: runId || sessionId ? undefined : accountId,
    allAccounts: sourceParam === 'live',
    fromMs: timeOf(one(search.from)),
    toMs: timeOf(one(search.to)),
    atMs: timeOf(one(search.at)),
  };
}

/** The query string of a chart link (without `?`). */
export function chartQuery(p: {
  exchange?: string;
  symbol?: string;
  timeframe?: string;
  runId?: string | null;
  sessionId?: string;
  accountId?: string | null;
  fromMs?: number;
  toMs?: number;
  atMs?: number;
}): string {
  const q = new URLSearchParams();
  if (p.exchange && p.symbol) q.set('stream', `${p.exchange}|${p.symbol}|${p.timeframe ?? ''}`);
  if (p.runId) q.set('run', p.runId);
  if (p.sessionId) q.set('session', p.sessionId);
  if (p.accountId && !p.runId && !p.sessionId) q.set('account', p.accountId);
  if (p.fromMs !== undefined) q.set('from', String(p.fromMs));
  if (p.toMs !== undefined) q.set('to', String(p.toMs));
  if (p.atMs !== undefined) q.set('at', String(p.atMs));
  return q.toString();
}

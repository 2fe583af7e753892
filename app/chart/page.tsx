import { requireRole } from '@/app/_server/auth/page-gate';
import { PriceChart, type ChartFocus, type ChartSource } from '@/app/_components/chart/price-chart';
import type { ChartStrategy } from '@/engine/account/chart-indicators';
import { runSymbols } from '@/engine/account/chart';
import { TIMEFRAME_MS, type Timeframe } from '@/engine/core/types';
import { chartQuery, readChartParams } from '@/app/_components/chart/chart-params';
import '../journal/journal.css';
import { fmtTime } from '@/app/_components/format';
import { SessionMode, sessionAccountOf, sessionFirstCandleMs, sessionModeOf } from '@/engine/live/session-window';
import type { LiveSessionRecord } from '@/engine/ports/live-sessions';
import { DEFAULT_ACCOUNT_ID } from '@/engine/account/account-config';
import { accountChoices } from '@/app/_server/account-choices';

/**
 * The times a session's markers fall in: from its first candle (a replay's first replayed candle, else the candle it
 * started in) to now while it runs; after it ended, to its last candle's close plus one candle (a replay's events carry
 * replayed times), or to its last update (a paper or live session's carry the wall clock).
 */
function sessionMarkerRange(session: LiveSessionRecord, timeframeMs: number): { fromMs: number; toMs: number } {
  const fromMs = sessionFirstCandleMs(session) ?? 0;
  if (session.status === 'running') return { fromMs, toMs: Number.MAX_SAFE_INTEGER };
  if (sessionModeOf(session) === SessionMode.Replay) return { fromMs, toMs: (session.lastCandleMs ?? fromMs) + 2 * timeframeMs };
  return { fromMs, toMs: session.updatedAtMs + 1 };
}

export const dynamic = 'force-dynamic';

const keyOf = (s: { exchange: string; symbol: string; timeframe: string }) => `${s.exchange}|${s.symbol}|${s.timeframe}`;
/** The chart keys of a run's markets (one, or each market of a portfolio run). */
const runKeysOf = (r: { exchange: string; symbol: string; timeframe: string }) => runSymbols(r).map((symbol) => keyOf({ ...r, symbol }));
/** Bars around a centre time in the first window. */
const CENTRE_BARS = 250;
/** Bars shown around a centred trade, and at least on each side of a centred time. */
const FOCUS_PAD_BARS = 15;
const FOCUS_HALF_BARS = 60;
/** Bars of the default window (the latest ones). */
const DEFAULT_BARS = 500;

/** The strategies (with their stored parameters) a run config or session spec names. */
function strategiesOf(spec: unknown): ChartStrategy[] {
  const s = spec as { strategies?: unknown; params?: Record<string, unknown> } | null | undefined;
  if (!s || !Array.isArray(s.strategies)) return [];
  return s.strategies.filter((n): n is string => typeof n === 'string').map((name) => ({ name, params: (s.params?.[name] as Record<string, unknown> | undefined) ?? {} }));
}

/**
 * Price chart of a stored candle stream as the analysis view. State lives in the URL:
 * `stream=exchange|symbol|timeframe` (or `exchange&symbol&timeframe`), `run=<id>` or `session=<id>`
 * (or `source=run:<id>|session:<id>|live` from the picker), and `from`/`to` or a centre `at` (epoch ms
 * or an ISO date). A run alone shows its market and period.
 */
export default async function ChartPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const access = await requireRole('viewer', '/chart');
  const engine = access.root.engine;
  const params = readChartParams(await searchParams);
  const streams = await engine.listCandleStreams();
  const run = params.runId ? await engine.getBacktestRun(params.runId) : null;
  // An engine built without live sessions has none to pick (listLiveSessions throws synchronously then).
  const [sessions, accounts] = await Promise.all([
    Promise.resolve()
      .then(() => engine.listLiveSessions())
      .catch(() => []),
    accountChoices(engine),
  ]);
  const session = params.sessionId ? (sessions.find((s) => s.id === params.sessionId) ?? null) : null;
  // A portfolio run alone shows its first market.
  const wanted = params.stream ?? (run ? runKeysOf(run)[0] : session ? keyOf(session) : undefined);
  const selected = streams.find((s) => keyOf(s) === wanted) ?? (wanted?.endsWith('|') ? streams.find((s) => keyOf(s).startsWith(wanted)) : undefined) ?? streams[0];
  // Live markers are one account's (the default one's unless another is named), or every account's when asked for.
  const wantedAccount = params.runId || params.sessionId || params.allAccounts ? null : (params.accountId ?? DEFAULT_ACCOUNT_ID);
  const account = wantedAccount === null ? null : (accounts.find((a) => a.id === wantedAccount) ?? null);
  const missing = (params.runId && !run) || (params.sessionId && !session) || (wantedAccount !== null && !account);

  if (streams.length === 0 || !selected) {
    return (
      <section className="card" aria-labelledby="chart-heading">
        <h1 id="chart-heading">Chart</h1>
        <p className="muted" data-testid="chart-empty">
          No candles stored yet. Upload a CSV file or download candles on the <a href="/markets">Markets</a> page, then come back.
        </p>
      </section>
    );
  }

  const timeframeMs = TIMEFRAME_MS[selected.timeframe as Timeframe];
  const runs = (await engine.listBacktestRuns({ limit: 1000 })).items.filter((r) => runKeysOf(r).includes(keyOf(selected)));
  const marketSessions = sessions.filter((s) => keyOf(s) === keyOf(selected));
  const runHere = run && runKeysOf(run).includes(keyOf(selected)) ? run : null;
  const sessionHere = session && keyOf(session) === keyOf(selected) ? session : null;

  const source: ChartSource = runHere
    ? // The run's end-of-run close falls at the clock after its last candle: at most one timeframe past its range end.
      { label: `run ${runHere.id.slice(0, 8)}`, runId: runHere.id, accountId: null, markerRange: null, lastEventMs: runHere.toMs + timeframeMs, strategies: strategiesOf(runHere.config) }
    : sessionHere
      ? {
          label: `session ${sessionHere.id}`,
          runId: null,
          // Its account's rows: another account may trade the market at the same time.
          accountId: sessionAccountOf(sessionHere),
          markerRange: sessionMarkerRange(sessionHere, timeframeMs),
          lastEventMs: null,
          strategies: strategiesOf(sessionHere.spec ?? sessionHere.config),
        }
      : account
        ? { label: `account ${account.id}`, runId: null, accountId: account.id, markerRange: null, lastEventMs: null, strategies: [] }
        : { label: 'every account', runId: null, accountId: null, markerRange: null, lastEventMs: null, strategies: [] };

  const endMs = selected.lastOpenTimeMs + timeframeMs;
  let focus: ChartFocus;
  const pad = FOCUS_PAD_BARS * timeframeMs;
  if (params.atMs !== null) {
    // Centred: on `from`..`to` when given with it (a trade's entry to exit), else on `at` alone.
    const around = params.fromMs !== null && params.toMs !== null && params.toMs >= params.fromMs && params.fromMs <= params.atMs && params.atMs <= params.toMs ? { fromMs: params.fromMs, toMs: params.toMs } : { fromMs: params.atMs, toMs: params.atMs };
    const half = Math.max((around.toMs - around.fromMs) / 2 + pad, FOCUS_HALF_BARS * timeframeMs);
    const visible = { fromMs: params.atMs - half, toMs: params.atMs + half };
    const load = Math.max(CENTRE_BARS * timeframeMs, 2 * half);
    focus = { fromMs: params.atMs - load, toMs: params.atMs + load, visible };
  } else if (params.fromMs !== null && params.toMs !== null && params.toMs > params.fromMs) {
    focus = { fromMs: params.fromMs, toMs: params.toMs, visible: null };
  } else if (runHere) {
    focus = { fromMs: runHere.fromMs, toMs: runHere.toMs, visible: null };
  } else if (sessionHere && source.markerRange) {
    // From its first candle (a replay's is in the past, not when it was started).
    focus = { fromMs: source.markerRange.fromMs, toMs: Math.min(endMs, source.markerRange.toMs), visible: null };
  } else {
    focus = { fromMs: endMs - DEFAULT_BARS * timeframeMs, toMs: endMs, visible: null };
  }
  const sourceValue = runHere ? `run:${runHere.id}` : sessionHere ? `session:${sessionHere.id}` : source.accountId ? `account:${source.accountId}` : 'live';

  return (
    <section className="card" aria-labelledby="chart-heading">
      <h1 id="chart-heading">Chart</h1>
      {missing && (
        <p className="error" role="alert" data-testid="chart-source-missing">
          {params.runId ? `Run "${params.runId}"` : params.sessionId ? `Session "${params.sessionId}"` : `Account "${wantedAccount}"`} does not exist (deleted?); showing every account&apos;s live markers
          instead.
        </p>
      )}
      <form method="get" className="filters" data-testid="chart-picker">
        <label>
          Market{' '}
          <select name="stream" style={{ maxWidth: '100%' }} defaultValue={keyOf(selected)}>
            {streams.map((s) => (
              <option key={keyOf(s)} value={keyOf(s)}>
                {s.exchange} · {s.symbol} · {s.timeframe} ({s.count} candles)
              </option>
            ))}
          </select>
        </label>
        <label>
          Markers of{' '}
          <select name="source" style={{ maxWidth: '100%' }} defaultValue={sourceValue} data-testid="chart-source">
            {accounts.map((a) => (
              <option key={a.id} value={`account:${a.id}`}>
                live trading of account {a.name} ({a.id}), with its working stops
              </option>
            ))}
            <option value="live">live trading of every account (no working stops)</option>
            {marketSessions.map((s) => (
              <option key={s.id} value={`session:${s.id}`}>
                session {s.id} ({s.status}, since {s.startedAtMs ? fmtTime(s.startedAtMs) : '—'})
              </option>
            ))}
            {runs.map((r) => (
              <option key={r.id} value={`run:${r.id}`}>
                run {r.id.slice(0, 8)} · {Array.isArray(r.config.strategies) ? (r.config.strategies as string[]).join('+') : '?'}{runSymbols(r).length > 1 ? ` · portfolio of ${runSymbols(r).length} markets` : ''} · {new Date(r.fromMs).toISOString().slice(0, 10)} to {new Date(r.toMs).toISOString().slice(0, 10)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Show</button>
      </form>
      {runHere && (
        <p className="muted">
          Showing <a href={`/backtests/${encodeURIComponent(runHere.id)}`}>run {runHere.id.slice(0, 8)}</a> ({runHere.config.strategies ? String(runHere.config.strategies) : ''}) ·{' '}
          <a href={`/chart?${chartQuery({ exchange: selected.exchange, symbol: selected.symbol, timeframe: selected.timeframe, runId: runHere.id })}`}>whole run period</a>
          {runSymbols(runHere).length > 1 && (
            <span data-testid="chart-run-markets">
              {' '}
              · its markets:{' '}
              {runSymbols(runHere).map((symbol, i) => (
                <span key={symbol}>
                  {i > 0 && ', '}
                  {symbol === selected.symbol ? (
                    <strong aria-current="true">{symbol}</strong>
                  ) : (
                    <a href={`/chart?${chartQuery({ exchange: runHere.exchange, symbol, timeframe: runHere.timeframe, runId: runHere.id })}`}>{symbol}</a>
                  )}
                </span>
              ))}
            </span>
          )}
        </p>
      )}
      <PriceChart
        key={`${keyOf(selected)}|${sourceValue}|${focus.fromMs}|${focus.toMs}|${focus.visible?.fromMs}`}
        stream={{
          exchange: selected.exchange,
          symbol: selected.symbol,
          timeframe: selected.timeframe,
          timeframeMs,
          firstOpenTimeMs: selected.firstOpenTimeMs,
          lastOpenTimeMs: selected.lastOpenTimeMs,
        }}
        source={source}
        focus={focus}
      />
      <p className="muted">
        Markers: arrows are trade entries, circles exits and squares with a result stop exits (green profit, red loss), purple squares vetoed and amber squares denied signals; dashed lines are
        working stops. Click a marker (or pick it from the list) for its decision chain. The lower panes are volume and, when a strategy reads one, its oscillator (RSI). Drag to pan, scroll or
        pinch to zoom.
      </p>
    </section>
  );
}

import { requireRole } from '@/app/_server/auth/page-gate';
import { PriceChart } from '@/app/_components/chart/price-chart';
import { TIMEFRAME_MS, type Timeframe } from '@/engine/core/types';

export const dynamic = 'force-dynamic';

const keyOf = (s: { exchange: string; symbol: string; timeframe: string }) => `${s.exchange}|${s.symbol}|${s.timeframe}`;

/** Price chart of a stored candle stream, picked by exchange/symbol/timeframe (`?stream=exchange|symbol|timeframe`). */
export default async function ChartPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const access = await requireRole('viewer', '/chart');
  const streams = await access.root.engine.listCandleStreams();
  const wanted = (await searchParams).stream;
  const selected = streams.find((s) => keyOf(s) === wanted) ?? streams[0];
  return (
    <section className="card" aria-labelledby="chart-heading">
      <h1 id="chart-heading">Chart</h1>
      {streams.length === 0 ? (
        <p className="muted" data-testid="chart-empty">
          No candles stored yet. Upload a CSV file or download candles on the <a href="/markets">Markets</a> page, then come back.
        </p>
      ) : (
        <>
          <form method="get" className="filters" data-testid="chart-picker">
            <label>
              Market{' '}
              <select name="stream" defaultValue={keyOf(selected)}>
                {streams.map((s) => (
                  <option key={keyOf(s)} value={keyOf(s)}>
                    {s.exchange} · {s.symbol} · {s.timeframe} ({s.count} candles)
                  </option>
                ))}
              </select>
            </label>
            <button type="submit">Show</button>
          </form>
          <PriceChart
            key={keyOf(selected)}
            stream={{
              exchange: selected.exchange,
              symbol: selected.symbol,
              timeframe: selected.timeframe,
              timeframeMs: TIMEFRAME_MS[selected.timeframe as Timeframe],
              firstOpenTimeMs: selected.firstOpenTimeMs,
              lastOpenTimeMs: selected.lastOpenTimeMs,
            }}
          />
          <p className="muted">
            Markers: arrows are trade entries, circles exits (green profit, red loss), purple squares vetoed and amber squares denied signals; dashed lines are working stops. Drag to pan, scroll or pinch to zoom.
          </p>
        </>
      )}
    </section>
  );
}

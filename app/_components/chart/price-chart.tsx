'use client';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import {
  CandlestickSeries,
  ColorType,
  HistogramSeries,
  LineSeries,
  createChart,
  createSeriesMarkers,
  LineStyle,
  type IChartApi,
  type IPriceLine,
  type ISeriesApi,
  type ISeriesMarkersPluginApi,
  type LogicalRange,
  type MouseEventParams,
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
} from 'lightweight-charts';
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import type { CandleWindow, ChartMarkers } from '@/engine/account/chart';
import type { ChartIndicators, ChartStrategy } from '@/engine/account/chart-indicators';
import type { DecisionRecord, TradeRecord } from '@/engine/ports/journal';
import { ChainStep } from '@/app/journal/_components/chain-step';
import { fmtDuration, fmtMoney, fmtNumber, fmtTime } from '../format';
import { isWinningNetPnl } from '@/engine/insight/trade-outcome';

export interface ChartStream {
  exchange: string;
  symbol: string;
  timeframe: string;
  timeframeMs: number;
  firstOpenTimeMs: number;
  lastOpenTimeMs: number;
}

/**
 * Whose markers the chart shows: one backtest run (`runId`), one session (live rows of the market
 * within `markerRange`, the session's active period), one account's live rows (`accountId` alone) or every
 * account's; `strategies` are the run's or session's strategies with their parameters, for the indicator overlays.
 */
export interface ChartSource {
  label: string;
  runId: string | null;
  /** A session's or the picked account: the markers are its sessions' rows and the stops its own; null: every account's rows, no stops. */
  accountId: string | null;
  markerRange: { fromMs: number; toMs: number } | null;
  /**
   * The latest time the source's events can carry (a run's: its range end plus one timeframe, where its
   * end-of-run close falls at the latest); null for live rows. Events after the stream's last candle up
   * to it (a portfolio's end-of-run close of a market whose candles ended earlier) go on the last bar.
   */
  lastEventMs: number | null;
  strategies: ChartStrategy[];
}

/** The first window loaded, and the time range to show in it (a trade with some bars around it, a centred time); null fits the window. */
export interface ChartFocus {
  fromMs: number;
  toMs: number;
  visible: { fromMs: number; toMs: number } | null;
}

/** Candles per request; the server aggregates wider ranges into coarser buckets. */
const MAX_POINTS = 1_500;
/** Bars of slack before the chart asks for more history on that side. */
const EDGE_BARS = 40;

interface Window {
  fromMs: number;
  toMs: number;
}

function query(stream: ChartStream, w: Window): string {
  return new URLSearchParams({ exchange: stream.exchange, symbol: stream.symbol, timeframe: stream.timeframe, from: String(w.fromMs), to: String(w.toMs) }).toString();
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${url.split('?')[0]} failed with ${response.status}`);
  return response.json();
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

function themeOptions() {
  return {
    layout: { background: { type: ColorType.Solid, color: cssVar('--card', '#171b21') }, textColor: cssVar('--fg', '#e6e9ef') },
    grid: { vertLines: { color: cssVar('--line', '#262c35') }, horzLines: { color: cssVar('--line', '#262c35') } },
  };
}

const sec = (ms: number) => Math.floor(ms / 1_000) as UTCTimestamp;

/** One drawn marker as the hidden list exposes it: its event time (ms, not snapped), kind and what it opens. */
export interface MarkerItem {
  timeMs: number;
  /** entry, exit (by signal), stop (exit by its stop), liquidation/other exit reasons as exit, vetoed, denied. */
  kind: 'entry' | 'exit' | 'stop' | 'vetoed' | 'denied';
  tradeId: string | null;
  decisionId: string | null;
  label: string;
  marker: SeriesMarker<Time>;
}

/**
 * Markers snapped to the bucket that holds them (coarse windows have fewer bars than events). Events in
 * `[w.fromMs, untilMs]` are drawn; those at or after the window's end go on its last bar.
 */
function buildMarkers(markers: ChartMarkers, w: CandleWindow, range: { fromMs: number; toMs: number } | null, untilMs: number): MarkerItem[] {
  // An event at the very end (a run's end-of-run close, at the last candle's close time) belongs to the last bar.
  const snap = (ms: number) => {
    const at = ms >= w.toMs ? w.toMs - 1 : ms;
    return sec(at - (((at % w.bucketMs) + w.bucketMs) % w.bucketMs));
  };
  const inside = (ms: number) => ms >= w.fromMs && ms <= untilMs && (!range || (ms >= range.fromMs && ms <= range.toMs));
  const out: MarkerItem[] = [];
  for (const t of markers.trades) {
    const long = t.side === 'long';
    if (inside(t.entryTimeMs)) {
      const text = `${long ? 'buy' : 'sell'} ${fmtNumber(t.entryPrice)}`;
      out.push({ timeMs: t.entryTimeMs, kind: 'entry', tradeId: t.id, decisionId: null, label: `${t.side} entry at ${fmtNumber(t.entryPrice)}`, marker: { time: snap(t.entryTimeMs), position: long ? 'belowBar' : 'aboveBar', shape: long ? 'arrowUp' : 'arrowDown', color: '#388bfd', text } });
    }
    if (inside(t.exitTimeMs)) {
      const kind = t.exitReason === 'stop' ? 'stop' : 'exit';
      out.push({ timeMs: t.exitTimeMs, kind, tradeId: t.id, decisionId: null, label: `${t.side} exit (${t.exitReason}) at ${fmtNumber(t.exitPrice)}, net ${fmtMoney(t.netPnl)}`, marker: { time: snap(t.exitTimeMs), position: long ? 'aboveBar' : 'belowBar', shape: kind === 'stop' ? 'square' : 'circle', color: isWinningNetPnl(t.netPnl) ? '#3fb950' : '#f85149', text: `${kind === 'stop' ? 'stop' : `exit ${t.exitReason}`} net ${fmtMoney(t.netPnl)}` } });
    }
  }
  for (const d of markers.decisions) {
    if (!inside(d.timeMs) || d.outcome === 'executed') continue;
    const stop = d.stopPrice === null ? '' : ` stop ${fmtNumber(d.stopPrice)}`;
    const kind = d.outcome === 'vetoed' ? 'vetoed' : 'denied';
    out.push({ timeMs: d.timeMs, kind, tradeId: null, decisionId: d.id, label: `${d.side} signal ${kind}: ${d.reason}`, marker: { time: snap(d.timeMs), position: d.side === 'short' ? 'aboveBar' : 'belowBar', shape: 'square', color: kind === 'vetoed' ? '#a371f7' : '#d29922', text: `${kind}${stop}` } });
  }
  return out.sort((a, b) => a.timeMs - b.timeMs);
}

/** What a marker click opened: a trade's decision chain, or one vetoed/denied decision. */
interface ChainResponse {
  trade: TradeRecord | null;
  decisions: DecisionRecord[];
}

/** Bars shown around a centred time (a trade, a jumped-to date). */
const FOCUS_BARS = 60;
const INDICATOR_COLORS = ['#e3b341', '#58a6ff', '#db61a2', '#56d4dd', '#f0883e', '#a5d6ff'];

function clampWindow(stream: ChartStream, endMs: number, centreMs: number, bars: number): Window {
  const half = bars * stream.timeframeMs;
  return { fromMs: Math.max(stream.firstOpenTimeMs, centreMs - half), toMs: Math.min(endMs, centreMs + half) };
}

/**
 * Candlestick chart of one stream with a volume pane, the source's markers (entries, exits, stops,
 * vetoed and denied signals), the indicators its strategies read and an oscillator pane; clicking a
 * marker (or its entry in the marker list) opens its decision chain. Panning or zooming out near an
 * edge (visible logical range) asks for a wider window, and zooming into an aggregated window asks
 * for a finer one.
 */
export function PriceChart({ stream, source, focus }: { stream: ChartStream; source: ChartSource; focus: ChartFocus }) {
  const container = useRef<HTMLDivElement>(null);
  const chartRef = useRef<IChartApi | null>(null);
  const seriesRef = useRef<ISeriesApi<'Candlestick'> | null>(null);
  const volumeRef = useRef<ISeriesApi<'Histogram'> | null>(null);
  const overlayRef = useRef<ISeriesApi<'Line'>[]>([]);
  const markersRef = useRef<ISeriesMarkersPluginApi<Time> | null>(null);
  const linesRef = useRef<IPriceLine[]>([]);
  const itemsRef = useRef<MarkerItem[]>([]);
  const endMs = stream.lastOpenTimeMs + stream.timeframeMs;
  // Markers up to a window's end; a window reaching the stream's end also takes the source's later events (drawn on the last bar).
  const markersUntil = useCallback((toMs: number) => (toMs >= endMs && source.lastEventMs !== null ? Math.max(toMs, source.lastEventMs) : toMs), [endMs, source.lastEventMs]);
  const [win, setWin] = useState<Window>(() => ({ fromMs: Math.max(stream.firstOpenTimeMs, focus.fromMs), toMs: Math.min(endMs, Math.max(focus.toMs, focus.fromMs + stream.timeframeMs)) }));
  /** A time range to show once the next candles arrive (a centre or a jumped-to date). */
  const pendingFocus = useRef<{ fromMs: number; toMs: number } | null>(focus.visible);
  const [jump, setJump] = useState(() => new Date(focus.visible?.fromMs ?? focus.fromMs).toISOString().slice(0, 10));
  const [selected, setSelected] = useState<MarkerItem | null>(null);

  const sourceKey = source.runId ?? (source.markerRange ? `${source.accountId ?? ''}:${source.markerRange.fromMs}-${source.markerRange.toMs}` : `live:${source.accountId ?? '*'}`);
  const candles = useQuery({ queryKey: ['candles', stream.exchange, stream.symbol, stream.timeframe, win], queryFn: () => getJson<CandleWindow>(`/api/candles?${query(stream, win)}&maxPoints=${MAX_POINTS}`), placeholderData: keepPreviousData });
  const markers = useQuery({
    queryKey: ['chart-markers', stream.exchange, stream.symbol, stream.timeframe, win, sourceKey],
    queryFn: () => getJson<ChartMarkers>(`/api/chart-markers?${query(stream, { fromMs: win.fromMs, toMs: markersUntil(win.toMs) })}${source.runId ? `&runId=${encodeURIComponent(source.runId)}` : source.accountId ? `&account=${encodeURIComponent(source.accountId)}` : ''}`),
    placeholderData: keepPreviousData,
    refetchInterval: source.runId ? false : 15_000,
  });
  const fine = candles.data !== undefined && candles.data.bucketMs === stream.timeframeMs;
  const indicators = useQuery({
    queryKey: ['chart-indicators', stream.exchange, stream.symbol, stream.timeframe, win, source.strategies],
    queryFn: () => getJson<ChartIndicators>(`/api/chart-indicators?${query(stream, win)}&strategies=${encodeURIComponent(JSON.stringify(source.strategies))}`),
    enabled: source.strategies.length > 0 && fine,
    placeholderData: keepPreviousData,
  });
  const chain = useQuery({
    queryKey: ['chart-chain', selected?.tradeId, selected?.decisionId],
    enabled: selected !== null,
    queryFn: () =>
      getJson<ChainResponse>(
        selected!.tradeId
          ? `/api/chart-chain?trade=${encodeURIComponent(selected!.tradeId)}`
          : `/api/chart-chain?${new URLSearchParams({ decision: selected!.decisionId!, symbol: stream.symbol, time: String(selected!.timeMs), ...(source.runId ? { runId: source.runId } : {}) }).toString()}`,
      ),
  });

  useEffect(() => {
    if (!container.current) return;
    const chart = createChart(container.current, { autoSize: true, ...themeOptions(), timeScale: { timeVisible: true, secondsVisible: false }, localization: { dateFormat: 'yyyy-MM-dd' } });
    const series = chart.addSeries(CandlestickSeries, { upColor: '#3fb950', downColor: '#f85149', borderVisible: false, wickUpColor: '#3fb950', wickDownColor: '#f85149' });
    const volume = chart.addSeries(HistogramSeries, { priceFormat: { type: 'volume' }, color: '#6e7681', title: 'volume' }, 1);
    chart.panes()[1]?.setStretchFactor(0.25);
    chartRef.current = chart;
    seriesRef.current = series;
    volumeRef.current = volume;
    markersRef.current = createSeriesMarkers(series, []);
    const onClick = (param: MouseEventParams<Time>) => {
      if (param.time === undefined) return;
      // The marker drawn on the clicked bar (its time is the bucket's open time).
      const hit = itemsRef.current.find((m) => m.marker.time === param.time);
      if (hit) setSelected(hit);
    };
    chart.subscribeClick(onClick);
    // The shown time range as data attributes, so a test can check where a link landed (canvas is opaque).
    const onVisible = () => {
      const range = chart.timeScale().getVisibleRange();
      if (!range || !container.current) return;
      container.current.dataset.visibleFrom = String((range.from as number) * 1_000);
      container.current.dataset.visibleTo = String((range.to as number) * 1_000);
    };
    chart.timeScale().subscribeVisibleTimeRangeChange(onVisible);
    const observer = new MutationObserver(() => chart.applyOptions(themeOptions()));
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    return () => {
      observer.disconnect();
      chart.unsubscribeClick(onClick);
      chart.timeScale().unsubscribeVisibleTimeRangeChange(onVisible);
      chart.remove();
      chartRef.current = null;
      seriesRef.current = null;
      volumeRef.current = null;
      overlayRef.current = [];
      markersRef.current = null;
      linesRef.current = [];
    };
  }, []);

  // New candles: keep the visible time range across the data swap, or show a pending focus.
  useEffect(() => {
    const chart = chartRef.current;
    const series = seriesRef.current;
    const data = candles.data;
    if (!chart || !series || !data) return;
    const visible = chart.timeScale().getVisibleRange();
    series.setData(data.candles.map((c) => ({ time: sec(c.openTimeMs), open: c.open, high: c.high, low: c.low, close: c.close })));
    volumeRef.current?.setData(data.candles.map((c) => ({ time: sec(c.openTimeMs), value: c.volume, color: c.close >= c.open ? 'rgba(63, 185, 80, 0.45)' : 'rgba(248, 81, 73, 0.45)' })));
    const target = pendingFocus.current;
    if (target && data.candles.length > 0) {
      pendingFocus.current = null;
      chart.timeScale().setVisibleRange({ from: sec(Math.max(target.fromMs, data.candles[0].openTimeMs)), to: sec(Math.min(target.toMs, data.candles[data.candles.length - 1].openTimeMs)) });
    } else if (visible) chart.timeScale().setVisibleRange(visible);
    else chart.timeScale().fitContent();
  }, [candles.data]);

  const items = markers.data && candles.data ? buildMarkers(markers.data, candles.data, source.markerRange, markersUntil(candles.data.toMs)) : [];
  itemsRef.current = items;

  useEffect(() => {
    const series = seriesRef.current;
    if (!series || !markers.data || !candles.data) return;
    markersRef.current?.setMarkers(buildMarkers(markers.data, candles.data, source.markerRange, markersUntil(candles.data.toMs)).map((m) => m.marker));
    for (const line of linesRef.current) series.removePriceLine(line);
    linesRef.current = markers.data.stops.map((s) => series.createPriceLine({ price: s.stopPrice, color: '#d29922', lineStyle: LineStyle.Dashed, lineWidth: 1, axisLabelVisible: true, title: `stop ${s.side}` }));
  }, [markers.data, candles.data, source.markerRange, markersUntil]);

  // Indicator overlays (price pane) and oscillators (their own pane below the volume).
  useEffect(() => {
    const chart = chartRef.current;
    if (!chart) return;
    for (const s of overlayRef.current) chart.removeSeries(s);
    overlayRef.current = [];
    const data = indicators.data;
    if (!data || !fine) return;
    data.lines.forEach((line, i) => {
      const s = chart.addSeries(LineSeries, { color: INDICATOR_COLORS[i % INDICATOR_COLORS.length], lineWidth: 1, title: line.name, priceLineVisible: false, lastValueVisible: false, crosshairMarkerVisible: false }, line.pane === 'oscillator' ? 2 : 0);
      s.setData(line.points.map(([t, v]) => ({ time: sec(t), value: v })));
      if (line.pane === 'oscillator') {
        for (const level of data.levels.filter((l) => l.strategy === line.strategy)) s.createPriceLine({ price: level.value, color: '#8b949e', lineStyle: LineStyle.Dotted, lineWidth: 1, axisLabelVisible: true, title: level.name });
      }
      overlayRef.current.push(s);
    });
    chart.panes()[2]?.setStretchFactor(0.3);
  }, [indicators.data, fine]);

  const onRange = useCallback(
    (range: LogicalRange | null) => {
      const series = seriesRef.current;
      const chart = chartRef.current;
      const data = candles.data;
      if (!range || !series || !chart || !data || candles.isFetching || pendingFocus.current) return;
      const bars = series.barsInLogicalRange(range);
      const visible = chart.timeScale().getVisibleRange();
      if (!bars || !visible) return;
      const span = win.toMs - win.fromMs;
      const visibleFrom = (visible.from as number) * 1_000;
      const visibleTo = (visible.to as number) * 1_000 + data.bucketMs;
      const visibleBars = range.to - range.from;
      let next: Window | null = null;
      if (data.bucketMs > stream.timeframeMs && visibleBars < 200) {
        // Zoomed into an aggregated window: ask for the visible part (plus slack) at a finer step.
        const slack = visibleTo - visibleFrom;
        next = { fromMs: Math.max(stream.firstOpenTimeMs, visibleFrom - slack), toMs: Math.min(endMs, visibleTo + slack) };
      } else if (bars.barsBefore < EDGE_BARS && win.fromMs > stream.firstOpenTimeMs) {
        next = { fromMs: Math.max(stream.firstOpenTimeMs, win.fromMs - span), toMs: win.toMs };
      } else if (bars.barsAfter < EDGE_BARS && win.toMs < endMs) {
        next = { fromMs: win.fromMs, toMs: Math.min(endMs, win.toMs + span) };
      }
      if (next && (next.fromMs !== win.fromMs || next.toMs !== win.toMs) && next.toMs > next.fromMs) setWin(next);
    },
    [candles.data, candles.isFetching, win, stream, endMs],
  );

  useEffect(() => {
    const chart = chartRef.current;
    if (!chart) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const handler = (range: LogicalRange | null) => {
      clearTimeout(timer);
      timer = setTimeout(() => onRange(range), 250);
    };
    chart.timeScale().subscribeVisibleLogicalRangeChange(handler);
    return () => {
      clearTimeout(timer);
      chart.timeScale().unsubscribeVisibleLogicalRangeChange(handler);
    };
  }, [onRange]);

  /** Jumps to 00:00 UTC of the picked day and records it in the URL (`at`), so the view can be linked. */
  const onJump = (event: FormEvent) => {
    event.preventDefault();
    const dayMs = Date.parse(`${jump}T00:00:00Z`);
    if (!Number.isFinite(dayMs)) return;
    const centre = Math.min(Math.max(dayMs, stream.firstOpenTimeMs), stream.lastOpenTimeMs);
    pendingFocus.current = { fromMs: centre - FOCUS_BARS * stream.timeframeMs, toMs: centre + FOCUS_BARS * stream.timeframeMs };
    setWin(clampWindow(stream, endMs, centre, 250));
    const url = new URL(window.location.href);
    url.searchParams.delete('from');
    url.searchParams.delete('to');
    url.searchParams.set('at', String(centre));
    window.history.replaceState(null, '', url);
  };

  const d = candles.data;
  const m = markers.data;
  const hidden = items.filter((x) => x.kind === 'vetoed' || x.kind === 'denied').length;
  return (
    <figure style={{ margin: 0 }}>
      <form className="filters" onSubmit={onJump} data-testid="chart-jump">
        <label>
          Jump to date (UTC){' '}
          <input type="date" value={jump} min={new Date(stream.firstOpenTimeMs).toISOString().slice(0, 10)} max={new Date(stream.lastOpenTimeMs).toISOString().slice(0, 10)} onChange={(e) => setJump(e.target.value)} />
        </label>
        <button type="submit">Go</button>
      </form>
      <div ref={container} className="price-chart" data-testid="price-chart" data-source={source.runId ?? 'live'} />
      <figcaption className="muted" data-testid="chart-summary" aria-live="polite">
        <span className="visually-hidden">Candlestick chart of {stream.symbol} {stream.timeframe} on {stream.exchange}: </span>
        {candles.error ? (
          <span className="error">Could not load candles: {(candles.error as Error).message}</span>
        ) : d ? (
          <>
            {d.candles.length} bars of {fmtDuration(d.bucketMs)} from {fmtTime(d.fromMs)} to {fmtTime(d.toMs)} UTC
            {d.bucketMs > stream.timeframeMs ? ` (aggregated from ${stream.timeframe}; zoom in for detail${source.strategies.length ? ' and indicators' : ''})` : ''}
            {m ? ` · ${source.label}: ${m.trades.length} trades · ${hidden} vetoed/denied signals · ${m.stops.length} working stops` : ''}
            {indicators.data && fine && indicators.data.lines.length > 0 ? ` · ${indicators.data.lines.map((l) => l.name).join(', ')}` : ''}
            {candles.isFetching ? ' · loading…' : ''}
          </>
        ) : (
          'Loading candles…'
        )}
      </figcaption>
      <details className="chart-marker-list">
        <summary>Markers in this window ({items.length})</summary>
        <ul data-testid="chart-markers" data-count={items.length}>
          {items.map((item) => (
            <li key={`${item.kind}-${item.tradeId ?? item.decisionId}-${item.timeMs}`} data-testid="chart-marker" data-time={item.timeMs} data-kind={item.kind} data-trade-id={item.tradeId ?? undefined}>
              <button type="button" className="link-button" onClick={() => setSelected(item)}>
                {fmtTime(item.timeMs)} UTC · {item.label}
              </button>
            </li>
          ))}
        </ul>
      </details>
      {selected && (
        <section className="chart-chain" aria-labelledby="chart-chain-heading" data-testid="chart-chain">
          <h2 id="chart-chain-heading">
            Decision chain: {selected.label} ({fmtTime(selected.timeMs)} UTC){' '}
            <button type="button" onClick={() => setSelected(null)}>
              Close
            </button>
          </h2>
          {selected.tradeId && (
            <p>
              <a href={`/journal/trades/${encodeURIComponent(selected.tradeId)}`}>Open the trade</a>
            </p>
          )}
          {chain.isLoading ? (
            <p className="muted">Loading the decision chain…</p>
          ) : chain.error ? (
            <p className="error">Could not load the decision chain: {(chain.error as Error).message}</p>
          ) : chain.data && chain.data.decisions.length > 0 ? (
            <ol className="chain" data-testid="decision-chain">
              {chain.data.decisions.map((dec) => (
                <ChainStep key={dec.id} d={dec} />
              ))}
            </ol>
          ) : (
            <p data-testid="chain-empty">No decisions were journaled for this marker.</p>
          )}
        </section>
      )}
    </figure>
  );
}

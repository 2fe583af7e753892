'use client';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import {
  CandlestickSeries,
  ColorType,
  createChart,
  createSeriesMarkers,
  LineStyle,
  type IChartApi,
  type IPriceLine,
  type ISeriesApi,
  type ISeriesMarkersPluginApi,
  type LogicalRange,
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
} from 'lightweight-charts';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { CandleWindow, ChartMarkers } from '@/engine/account/chart';
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

/** Markers snapped to the bucket that holds them (coarse windows have fewer bars than events). */
function buildMarkers(markers: ChartMarkers, w: CandleWindow): SeriesMarker<Time>[] {
  const snap = (ms: number) => sec(ms - (((ms % w.bucketMs) + w.bucketMs) % w.bucketMs));
  const inside = (ms: number) => ms >= w.fromMs && ms < w.toMs;
  const out: SeriesMarker<Time>[] = [];
  for (const t of markers.trades) {
    const long = t.side === 'long';
    if (inside(t.entryTimeMs)) out.push({ time: snap(t.entryTimeMs), position: long ? 'belowBar' : 'aboveBar', shape: long ? 'arrowUp' : 'arrowDown', color: '#388bfd', text: `${long ? 'buy' : 'sell'} ${fmtNumber(t.entryPrice)}` });
    if (inside(t.exitTimeMs)) out.push({ time: snap(t.exitTimeMs), position: long ? 'aboveBar' : 'belowBar', shape: 'circle', color: isWinningNetPnl(t.netPnl) ? '#3fb950' : '#f85149', text: `exit ${t.exitReason} net ${fmtMoney(t.netPnl)}` });
  }
  for (const d of markers.decisions) {
    if (!inside(d.timeMs) || d.outcome === 'executed') continue;
    const stop = d.stopPrice === null ? '' : ` stop ${fmtNumber(d.stopPrice)}`;
    out.push({ time: snap(d.timeMs), position: d.side === 'short' ? 'aboveBar' : 'belowBar', shape: 'square', color: d.outcome === 'vetoed' ? '#a371f7' : '#d29922', text: `${d.outcome}${stop}` });
  }
  return out.sort((a, b) => (a.time as number) - (b.time as number));
}

/**
 * Candlestick chart of one stream with trade, veto and denial markers and working stop lines.
 * Starts with the latest ~500 candles; panning or zooming out near an edge (visible logical range)
 * asks for a wider window, and zooming into an aggregated window asks for a finer one.
 */
export function PriceChart({ stream }: { stream: ChartStream }) {
  const container = useRef<HTMLDivElement>(null);
  const chartRef = useRef<IChartApi | null>(null);
  const seriesRef = useRef<ISeriesApi<'Candlestick'> | null>(null);
  const markersRef = useRef<ISeriesMarkersPluginApi<Time> | null>(null);
  const linesRef = useRef<IPriceLine[]>([]);
  const endMs = stream.lastOpenTimeMs + stream.timeframeMs;
  const [win, setWin] = useState<Window>(() => ({ fromMs: Math.max(stream.firstOpenTimeMs, endMs - 500 * stream.timeframeMs), toMs: endMs }));

  const candles = useQuery({ queryKey: ['candles', stream.exchange, stream.symbol, stream.timeframe, win], queryFn: () => getJson<CandleWindow>(`/api/candles?${query(stream, win)}&maxPoints=${MAX_POINTS}`), placeholderData: keepPreviousData });
  const markers = useQuery({ queryKey: ['chart-markers', stream.exchange, stream.symbol, stream.timeframe, win], queryFn: () => getJson<ChartMarkers>(`/api/chart-markers?${query(stream, win)}`), placeholderData: keepPreviousData, refetchInterval: 15_000 });

  useEffect(() => {
    if (!container.current) return;
    const chart = createChart(container.current, { autoSize: true, ...themeOptions(), timeScale: { timeVisible: true, secondsVisible: false }, localization: { dateFormat: 'yyyy-MM-dd' } });
    const series = chart.addSeries(CandlestickSeries, { upColor: '#3fb950', downColor: '#f85149', borderVisible: false, wickUpColor: '#3fb950', wickDownColor: '#f85149' });
    chartRef.current = chart;
    seriesRef.current = series;
    markersRef.current = createSeriesMarkers(series, []);
    const observer = new MutationObserver(() => chart.applyOptions(themeOptions()));
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    return () => {
      observer.disconnect();
      chart.remove();
      chartRef.current = null;
      seriesRef.current = null;
      markersRef.current = null;
      linesRef.current = [];
    };
  }, []);

  // New candles: keep the visible time range across the data swap.
  useEffect(() => {
    const chart = chartRef.current;
    const series = seriesRef.current;
    const data = candles.data;
    if (!chart || !series || !data) return;
    const visible = chart.timeScale().getVisibleRange();
    series.setData(data.candles.map((c) => ({ time: sec(c.openTimeMs), open: c.open, high: c.high, low: c.low, close: c.close })));
    if (visible) chart.timeScale().setVisibleRange(visible);
    else chart.timeScale().fitContent();
  }, [candles.data]);

  useEffect(() => {
    const series = seriesRef.current;
    if (!series || !markers.data || !candles.data) return;
    markersRef.current?.setMarkers(buildMarkers(markers.data, candles.data));
    for (const line of linesRef.current) series.removePriceLine(line);
    linesRef.current = markers.data.stops.map((s) => series.createPriceLine({ price: s.stopPrice, color: '#d29922', lineStyle: LineStyle.Dashed, lineWidth: 1, axisLabelVisible: true, title: `stop ${s.side}` }));
  }, [markers.data, candles.data]);

  const onRange = useCallback(
    (range: LogicalRange | null) => {
      const series = seriesRef.current;
      const chart = chartRef.current;
      const data = candles.data;
      if (!range || !series || !chart || !data || candles.isFetching) return;
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

  const d = candles.data;
  const m = markers.data;
  const hidden = m ? m.decisions.filter((x) => x.outcome !== 'executed').length : 0;
  return (
    <figure style={{ margin: 0 }}>
      <div ref={container} className="price-chart" data-testid="price-chart" />
      <figcaption className="muted" data-testid="chart-summary" aria-live="polite">
        <span className="visually-hidden">Candlestick chart of {stream.symbol} {stream.timeframe} on {stream.exchange}: </span>
        {candles.error ? (
          <span className="error">Could not load candles: {(candles.error as Error).message}</span>
        ) : d ? (
          <>
            {d.candles.length} bars of {fmtDuration(d.bucketMs)} from {fmtTime(d.fromMs)} to {fmtTime(d.toMs)} UTC
            {d.bucketMs > stream.timeframeMs ? ` (aggregated from ${stream.timeframe}; zoom in for detail)` : ''}
            {m ? ` · ${m.trades.length} trades · ${hidden} vetoed/denied signals · ${m.stops.length} working stops` : ''}
            {candles.isFetching ? ' · loading…' : ''}
          </>
        ) : (
          'Loading candles…'
        )}
      </figcaption>
    </figure>
  );
}

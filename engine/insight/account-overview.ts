/**
 * The dashboard overview of the paper account: equity curve with its underwater (drawdown) line,
 * headline metrics, open positions, risk state and the latest decisions. Pure functions over
 * journal rows and the account's current numbers; the engine facade gathers the inputs.
 *
 * Equity history comes from stored account snapshots when there are any, otherwise it is rebuilt
 * from the closed live trades' net PnL per UTC day (the journal aggregates it; the overview never
 * loads the trades): initial balance plus cumulative net PnL at the end of each day with exits. Sharpe and
 * Sortino are computed on daily returns of end-of-UTC-day equity (periodsPerYear 365, crypto trades
 * every day), with the conventions of `computeReturnMetrics`.
 */
import type { TradeSummary } from '../ports/journal';
import type { EquityPoint } from '../ports/backtest-runs';
import { computeReturnMetrics, equityToReturns, tradeMetricsFromTotals } from './metrics';
import type { SnapshotPosition } from '../ports/snapshots';

const DAY_MS = 86_400_000;

/** A point of the equity curve with its drawdown below the running peak, percent (<= 0). */
export interface OverviewEquityPoint {
  timeMs: number;
  equity: number;
  drawdownPct: number;
}

/** Headline numbers. NaN when undefined (no trades, fewer than two days); percentages 0..100. */
export interface OverviewMetrics {
  trades: number;
  sharpe: number;
  sortino: number;
  /** Deepest fall below a running peak of the curve, percent, <= 0. */
  maxDrawdownPct: number;
  /** Share of trades with net PnL > 0, percent. */
  winRatePct: number;
  /** Expectancy in R: average net trade / |average net loss| (a multiple of the typical loss, not money). */
  expectancy: number;
  /** Expectancy in quote currency: the average net PnL per closed trade. */
  expectancyQuote: number;
  /** Percent of the time since the first entry with a position open. */
  exposurePct: number;
  /** Entry notional traded / initial balance. */
  turnover: number;
  /** Equity now minus equity at the start of the current UTC day, quote currency. */
  pnlToday: number;
}

/** An open position for the overview table. */
export interface OverviewPosition extends SnapshotPosition {
  /** NaN when none (spot). */
  liquidationPrice: number;
}

/**
 * The equity history rebuilt from the daily net PnL of the closed trades (ascending days): a start
 * point at the first entry with `initialBalance`, one point per UTC day with exits at the day's last
 * millisecond with the cumulative net PnL (realised − fees − funding), then `equityNow` at `nowMs`
 * (which includes unrealised PnL). A day that has not ended by `nowMs` gets no point of its own: the
 * point at now stands for it. With no trades: just now.
 */
export function equityFromDailyPnl(summary: Pick<TradeSummary, 'firstEntryMs' | 'daily'>, initialBalance: number, nowMs: number, equityNow: number): EquityPoint[] {
  const points: EquityPoint[] = [];
  if (summary.firstEntryMs !== null && summary.daily.length > 0) points.push({ timeMs: summary.firstEntryMs, equity: initialBalance });
  let equity = initialBalance;
  for (const day of summary.daily) {
    equity += day.netPnl;
    const endMs = day.dayStartMs + DAY_MS - 1;
    if (endMs < nowMs) points.push({ timeMs: endMs, equity });
  }
  if (points.length === 0 || nowMs >= points[points.length - 1].timeMs) points.push({ timeMs: nowMs, equity: equityNow });
  return points;
}

/** Adds the drawdown below the running peak to each point (percent, 0 at a new peak). */
export function withDrawdown(points: readonly EquityPoint[]): OverviewEquityPoint[] {
  let peak = -Infinity;
  return points.map((p) => {
    if (p.equity > peak) peak = p.equity;
    return { timeMs: p.timeMs, equity: p.equity, drawdownPct: peak > 0 ? ((p.equity - peak) / peak) * 100 : 0 };
  });
}

/**
 * End-of-UTC-day equity from the first point's day to the last point's day, carrying the last
 * known value over days without a point. Points must be ascending by time.
 */
export function dailyCloses(points: readonly EquityPoint[]): Float64Array {
  if (points.length === 0) return new Float64Array(0);
  const firstDay = Math.floor(points[0].timeMs / DAY_MS);
  const lastDay = Math.floor(points[points.length - 1].timeMs / DAY_MS);
  const out = new Float64Array(lastDay - firstDay + 1);
  let k = 0;
  let value = points[0].equity;
  for (let day = firstDay; day <= lastDay; day++) {
    const end = (day + 1) * DAY_MS;
    while (k < points.length && points[k].timeMs < end) value = points[k++].equity;
    out[day - firstDay] = value;
  }
  return out;
}

/**
 * Headline metrics from the curve and the trade summary (no per-trade data).
 * @param points the equity curve, ascending, ending at now.
 */
export function computeOverviewMetrics(
  points: readonly OverviewEquityPoint[],
  summary: TradeSummary,
  options: { initialBalance: number; nowMs: number },
): OverviewMetrics {
  const daily = dailyCloses(points);
  const returns = daily.length >= 2 ? equityToReturns(daily) : new Float64Array(0);
  const ret = returns.length > 0 ? computeReturnMetrics(returns, { periodsPerYear: 365 }) : null;
  const spanMs = summary.firstEntryMs === null ? NaN : options.nowMs - summary.firstEntryMs;
  const tm =
    summary.trades > 0 && spanMs > 0
      ? tradeMetricsFromTotals(
          {
            trades: summary.trades,
            wins: summary.wins,
            losses: summary.losses,
            grossProfit: summary.grossProfit,
            grossLoss: summary.grossLoss,
            totalPnl: summary.netPnl,
            notional: summary.entryNotional,
            exposureMs: summary.exposureMs,
          },
          { spanMs, equity: options.initialBalance },
        )
      : null;
  const dayStart = Math.floor(options.nowMs / DAY_MS) * DAY_MS;
  let startOfDay = NaN;
  for (const p of points) {
    if (p.timeMs < dayStart) startOfDay = p.equity;
    else break;
  }
  if (Number.isNaN(startOfDay)) startOfDay = points.length > 0 ? points[0].equity : NaN;
  const now = points.length > 0 ? points[points.length - 1].equity : NaN;
  return {
    trades: summary.trades,
    sharpe: ret ? ret.sharpe : NaN,
    sortino: ret ? ret.sortino : NaN,
    maxDrawdownPct: points.length > 0 ? deepestDrawdownPct(points) : NaN,
    winRatePct: tm ? tm.winRate * 100 : NaN,
    expectancy: tm ? tm.expectancy : NaN,
    expectancyQuote: tm ? tm.averageTrade : NaN,
    exposurePct: tm ? tm.exposureTimePct : NaN,
    turnover: tm ? tm.turnover : NaN,
    pnlToday: now - startOfDay,
  };
}

/** The lowest drawdown of the curve (percent, <= 0); a loop, so any length works. */
function deepestDrawdownPct(points: readonly OverviewEquityPoint[]): number {
  let deepest = 0;
  for (const p of points) if (p.drawdownPct < deepest) deepest = p.drawdownPct;
  return deepest;
}

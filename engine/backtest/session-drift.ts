/**
 * Replays a live session's period as a backtest with the session's config and compares the
 * trades (see `compareLiveToBacktest`). The replay reads stored candles: a live session stores the
 * candles it warms up on and polls; for sessions run before that (or a failed write), download the
 * period first (`download-candles`).
 */
import { ValidationError } from '../core/errors';
import type { CandleRepository } from '../ports/candles';
import type { JournalRepository } from '../ports/journal';
import type { Logger } from '../core/logger';
import { TIMEFRAME_MS, type Timeframe } from '../core/types';
import { resolveBacktest, simulate } from './run-backtest';
import type { StrategyCatalog } from '../strategies/strategy-catalog';
import type { LiveSessionRecord } from '../ports/live-sessions';
import type { RunSpec } from '../trading/run-spec';
import { compareLiveToBacktest, type DriftReport } from '../insight/live-drift';
import { sessionAccountOf } from '../live/session-window';

/** Candles before the session start that warm the replay's indicators. */
const WARMUP_CANDLES = 300;

/**
 * The drift report of `session` from the candle opening at `firstCandleMs` (the first it traded, which
 * `sessionFirstCandleMs` (engine/live/session-window.ts) tells: a replay's first candle, else the one its start fell in) to its last one.
 * @throws ValidationError naming `sessionId` before its first candle, or when stored candles do not cover the period.
 */
export async function sessionDrift(
  session: LiveSessionRecord<RunSpec>,
  firstCandleMs: number | null,
  deps: { candles: CandleRepository; journal: JournalRepository; logger: Logger; newId: () => string; strategies?: StrategyCatalog },
): Promise<DriftReport & { sessionId: string; fromMs: number; toMs: number; candles: number }> {
  if (firstCandleMs === null || session.lastCandleMs === null) {
    throw new ValidationError('sessionId', session.id, 'the session has not processed a candle yet: nothing to compare');
  }
  const timeframe = session.timeframe as Timeframe;
  const tf = TIMEFRAME_MS[timeframe];
  const fromMs = firstCandleMs;
  const toMs = session.lastCandleMs + tf;
  const key = { exchange: session.exchange, symbol: session.symbol, timeframe };
  const columns = await deps.candles.loadCandles(key, fromMs - WARMUP_CANDLES * tf, toMs);
  if (columns.length === 0 || columns.openTimeMs[columns.length - 1] < session.lastCandleMs) {
    throw new ValidationError(
      'sessionId',
      session.id,
      `stored ${session.exchange} ${session.symbol} ${timeframe} candles do not cover the session (${new Date(fromMs).toISOString()} to ${new Date(toMs).toISOString()}); download them first with download-candles`,
    );
  }
  // The spec the session resolved when it started; records from before it carry only the request.
  const spec = session.spec;
  const config = session.config as { strategies?: string[]; params?: Record<string, unknown>; fusion?: Record<string, unknown>; risk?: Record<string, unknown> };
  const trading = spec
    ? {
        strategies: spec.strategies,
        params: spec.params,
        // Outside alerts are not replayed: only the strategies' weights.
        fusion: { ...spec.fusion, weights: Object.fromEntries(spec.strategies.map((name) => [name, spec.fusion.weights[name]])) },
        risk: Object.fromEntries(Object.entries(spec.risk).filter(([key]) => key !== 'costs')),
        paper: spec.paper as unknown as Record<string, unknown>,
      }
    : { strategies: config.strategies, params: config.params ?? {}, fusion: config.fusion ?? {}, risk: config.risk ?? {} };
  const resolved = resolveBacktest({
    exchange: session.exchange,
    symbol: session.symbol,
    timeframe,
    from: columns.openTimeMs[0],
    to: toMs,
    ...trading,
    decisionDetail: 'off',
  }, undefined, deps.strategies);
  const replay = await simulate(resolved, columns, null, { journal: deps.journal, logger: deps.logger, newId: deps.newId, strategies: deps.strategies });
  const simulated = replay.trades.filter((t) => t.entryTimeMs >= fromMs);
  const live = [];
  for await (const t of deps.journal.iterTrades({ symbol: session.symbol, runId: null, accountId: sessionAccountOf(session), fromMs })) if (t.exchange === session.exchange) live.push(t);
  return { sessionId: session.id, fromMs, toMs, candles: columns.length, ...compareLiveToBacktest(live, simulated, tf) };
}

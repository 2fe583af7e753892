/**
 * A live session: the trading loop (the same one backtests run) fed by closed candles polled from
 * a venue, for one market. Orders go to the PaperExchange (dry run, the default) or, when an admin
 * has enabled it, to a real venue through the same `Exchange` port.
 *
 * Reliability rules:
 * - Only closed candles are processed (open time + timeframe <= now), each exactly once, in order.
 * - A failed poll (network, rate limit, venue down) is retried with exponential backoff and jitter;
 *   the next successful poll backfills every candle missed meanwhile.
 * - After every processed candle the session checkpoints its last candle time, the position it holds
 *   on a real venue (entry fills, stop id) and the risk state. A restart resumes after the checkpoint. A crash between placing an order and checkpointing makes
 *   the restart replay that candle; the loop's client order ids are a function of (session, kind,
 *   candle time), so the venue treats the repeat as the same order: no duplicates.
 * - A fatal venue error (authentication) halts the risk engine with the reason and stops the session.
 * - Every closed candle the session feeds the loop (warm-up history and each polled batch) is stored
 *   in candle storage, so a drift report can replay the session without a download first. A failed
 *   write is logged and trading goes on; the forming candle is never stored.
 */
import { ExchangeError, StaleLeaseError, ValidationError } from '../core/errors';
import type { CandleRepository } from '../ports/candles';
import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import type { RiskStateRepository } from '../ports/risk-state';
import { TIMEFRAME_MS, candleColumnsFromRows, type Candle, type MarketKey } from '../core/types';
import type { VetoModel } from '../decision/veto-model';
import { anyLoopModel, type LoopModels, type LoopModelsSpec } from '../decision/loop-models';
import type { FusionConfig } from '../decision/signal-fusion';
import type { Exchange } from '../ports/exchange';
import type { JournalWriter } from '../ports/journal-writer';
import type { LiveCheckpointStore } from '../ports/live-sessions';
import type { ExitPolicy } from '../strategies/exit-policy';
import {
  createTradingLoop,
  type AccountView,
  type CandleSimulator,
  type ClosedTrade,
  type DecisionDetail,
  type TradingLoop,
} from '../loop/trading-loop';
import { loopStartupCandles } from '../loop/signal-phase';
import type { RiskEngine } from '../risk/risk-engine';
import type { PortfolioRiskSource } from '../risk/value-at-risk';
import type { EngineEvents } from '../ports/events';
import { createBuiltInCatalog } from '../strategies/built-in-strategies';
import type { StrategyCatalog } from '../strategies/strategy-catalog';
import { createExternalSignalAdapter, type ExternalAlert } from '../strategies/external-signal-adapter';

/** Where closed candles come from (a ccxt venue's public OHLCV, or a test feed). */
export interface CandleFeed {
  fetchOhlcv(symbol: string, timeframe: MarketKey['timeframe'], sinceMs?: number, limit?: number): Promise<Candle[]>;
  /** Releases the feed's connection (a ccxt client); the session manager calls it when no session uses the feed. */
  close?(): Promise<void>;
}

/** Candles a live session warms with at least (more when its strategies' startup candles say so). */
export const DEFAULT_LIVE_WARMUP_CANDLES = 300;

export const LiveSessionStatus = {
  Starting: 'starting',
  Running: 'running',
  Reconnecting: 'reconnecting',
  Stopped: 'stopped',
  Halted: 'halted',
  /** A replay session that reached the end of its stored candles. */
  Completed: 'completed',
} as const;
export type LiveSessionStatus = (typeof LiveSessionStatus)[keyof typeof LiveSessionStatus];

export interface LiveSessionConfig {
  /** Stable id: names the checkpoint, the risk account and the client order ids. */
  id: string;
  market: MarketKey;
  /** The account the session trades: its journaled trades and decisions carry it (default: none). */
  accountId?: string;
  strategies: readonly { name: string; params?: unknown }[];
  fusion: FusionConfig;
  decisionDetail: DecisionDetail;
  allowShort: boolean;
  /** Candles of history fed to the indicators before trading (default: max(300, the strategies' startup candles)). */
  warmupCandles?: number;
  /** Feature rows kept beyond the warm-up before the oldest are dropped (default {@link LIVE_FEATURE_ROWS_AHEAD}; the loop keeps its lookback whatever this says). */
  featureRowsAhead?: number;
  /** Poll period while waiting for the next candle, ms (default: a tenth of the timeframe, 1-30 s). */
  pollIntervalMs?: number;
  /** Reconnect backoff: base and cap in ms (defaults 1,000 and 60,000). */
  backoff?: { baseMs: number; maxMs: number };
  /** Candles per fetch (default 500). */
  pageSize?: number;
  /** Let outside alerts (webhooks) in as one more fusion input; `fusion.weights.external` weighs them. */
  acceptExternalSignals?: boolean;
  /** Replay: the session completes after processing the candle that opens at this time. */
  untilMs?: number;
  /** Exit policy of every position (the run spec's `exits`); none when absent. */
  exits?: ExitPolicy | null;
  /** Parameters of the regime, volatility and stop-distance models (the run spec's `models`); none when absent. */
  models?: LoopModelsSpec;
}

export interface LiveSessionDeps {
  clock: Clock;
  logger: Logger;
  feed: CandleFeed;
  exchange: Exchange;
  account: AccountView;
  /** The PaperExchange in dry run (it settles each candle); null for a real venue. */
  simulator: CandleSimulator | null;
  risk: RiskEngine;
  riskState: RiskStateRepository;
  checkpoints: LiveCheckpointStore;
  /** Candle storage the session writes the closed candles it processes to; null or absent stores none. */
  candles?: Pick<CandleRepository, 'insertCandles'> | null;
  journal: JournalWriter | null;
  veto: VetoModel | null;
  /** The loaded models of `config.models` (following deploys for `deployed`); none when absent. */
  models?: LoopModels;
  newId: () => string;
  /** Waits `ms` or until the signal aborts (resolves either way). */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
  /** Metrics and notifications for orders, denials, breakers and halts. */
  events?: EngineEvents;
  /** Positions and return history for the VaR / ES limits (see `TradingLoopDeps.portfolioRisk`); the session's own market without it. */
  portfolioRisk?: PortfolioRiskSource | null;
  /** Called with each round trip the venue closes (the session wires the paper listener here). */
  onTradeClosedHook?: (handler: (trade: ClosedTrade) => void) => void;
  /**
   * Before each candle: adopt control changes (a halt or resume written elsewhere); resolves false when
   * the session was asked to stop (e.g. from another process), which ends it before the candle.
   */
  beforeCandle?: () => Promise<boolean>;
  /** After each candle's checkpoint: store the account's state. */
  afterCandle?: () => Promise<void>;
  /**
   * True when `afterCandle` stores the risk state with the account's (a paper account stores both in one
   * transaction): the session does not write the same row again after each candle.
   */
  accountStoresRisk?: boolean;
  /**
   * True when the risk engine belongs to an account shared with other sessions (restored by its owner):
   * the session then neither restores it at warm-up nor keys anything by its own id.
   */
  sharedRisk?: boolean;
  /** Where the session's strategies come from (the engine's catalog); default: the built-ins. */
  strategies?: StrategyCatalog;
}

export interface LiveSessionState {
  id: string;
  market: MarketKey;
  status: LiveSessionStatus;
  lastCandleMs: number | null;
  candlesProcessed: number;
  reconnects: number;
  lastError: string | null;
}

export interface LiveSession {
  /** Starts polling in the background; resolves once warm-up is done. Idempotent. */
  start(): Promise<void>;
  /** Stops after the candle in progress; flushes the journal; idempotent. */
  stop(): Promise<void>;
  state(): LiveSessionState;
  /** Resolves when the background loop has ended (stopped or halted). */
  done(): Promise<void>;
  /** Hands an outside alert to the next candle's fusion; false when this session takes none. */
  pushExternalSignal(alert: Omit<ExternalAlert, 'receivedAtMs'>): boolean;
}

/**
 * The prefix of a session's client order ids. Binance accepts at most 36 characters per client id and
 * the loop appends `-<kind>-<13-digit ms>` (up to 20 characters), so a session id of up to 16
 * characters is used as is and a longer one (`live:binanceusdm:BTC/USDT:5m`) becomes `ls-` plus the
 * 8-hex-digit 32-bit FNV-1a hash of it: the same on every restart, so a replayed candle reuses its ids.
 */
export function clientIdPrefixOf(sessionId: string): string {
  if (sessionId.length <= 16) return sessionId;
  let hash = 0x811c9dc5;
  for (let i = 0; i < sessionId.length; i++) {
    hash ^= sessionId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `ls-${hash.toString(16).padStart(8, '0')}`;
}

/**
 * Feature rows a live session keeps beyond its warm-up before the loop drops the oldest (see the loop's
 * `maxFeatureRows`): the columns stay bounded however long the session runs, with the same decisions.
 */
export const LIVE_FEATURE_ROWS_AHEAD = 4_096;

/** Creates a live session. Throws ValidationError for an unknown strategy or bad parameters. */
export function createLiveSession(config: LiveSessionConfig, deps: LiveSessionDeps): LiveSession {
  const timeframeMs = TIMEFRAME_MS[config.market.timeframe];
  if (!timeframeMs) throw new ValidationError('timeframe', config.market.timeframe, 'is not a supported timeframe');
  const pollIntervalMs = config.pollIntervalMs ?? Math.min(30_000, Math.max(1_000, timeframeMs / 10));
  const backoff = config.backoff ?? { baseMs: 1_000, maxMs: 60_000 };
  const pageSize = config.pageSize ?? 500;
  const external = config.acceptExternalSignals ? createExternalSignalAdapter({ ttlMs: timeframeMs }, { clock: deps.clock }) : null;
  const catalog = deps.strategies ?? createBuiltInCatalog();
  const strategies = [...config.strategies.map((s) => catalog.create(s.name, s.params ?? {})), ...(external ? [external] : [])];
  // Enough history for every seeded indicator to forget its seed (the run's startup candles), 300 at least.
  const warmupCandles = config.warmupCandles ?? Math.max(DEFAULT_LIVE_WARMUP_CANDLES, loopStartupCandles(strategies, Boolean(deps.veto) || anyLoopModel(config.models)));

  const loop: TradingLoop = createTradingLoop(
    {
      market: config.market,
      runId: null,
      accountId: config.accountId ?? null,
      clientIdPrefix: clientIdPrefixOf(config.id),
      strategies,
      fusion: config.fusion,
      decisionDetail: config.decisionDetail,
      allowShort: config.allowShort,
      capacityHint: warmupCandles + 1_000,
      // A session runs for months: its feature columns keep the rows any consumer reads back, not every candle.
      maxFeatureRows: warmupCandles + (config.featureRowsAhead ?? LIVE_FEATURE_ROWS_AHEAD),
      exits: config.exits ?? null,
      models: config.models,
    },
    {
      clock: deps.clock,
      exchange: deps.exchange,
      account: deps.account,
      simulator: deps.simulator,
      risk: deps.risk,
      journal: deps.journal,
      veto: deps.veto,
      models: deps.models,
      newId: deps.newId,
      events: deps.events,
      portfolioRisk: deps.portfolioRisk ?? null,
    },
  );
  deps.onTradeClosedHook?.((trade) => loop.onTradeClosed(trade));

  const state: LiveSessionState = {
    id: config.id,
    market: config.market,
    status: LiveSessionStatus.Stopped,
    lastCandleMs: null,
    candlesProcessed: 0,
    reconnects: 0,
    lastError: null,
  };
  let abort: AbortController | null = null;
  let running: Promise<void> | null = null;
  let starting: Promise<void> | null = null;
  let failures = 0;
  /** Set when `beforeCandle` asked the session to stop. */
  let stopRequested = false;

  const lastClosedOpenTime = () => Math.floor(deps.clock.nowMs() / timeframeMs) * timeframeMs - timeframeMs;

  /**
   * Fetches closed candles with open time in [fromMs, toMs], paging: each page asks for at most the candles the
   * range still holds (one, candle by candle), never a full page for one candle (a replay read 500 stored
   * candles for each one it traded).
   */
  async function fetchClosed(fromMs: number, toMs: number): Promise<Candle[]> {
    const out: Candle[] = [];
    let since = fromMs;
    while (since <= toMs) {
      const limit = Math.min(pageSize, Math.floor((toMs - since) / timeframeMs) + 1);
      const page = await deps.feed.fetchOhlcv(config.market.symbol, config.market.timeframe, since, limit);
      const fresh = page.filter((c) => c.openTimeMs >= since && c.openTimeMs <= toMs).sort((a, b) => a.openTimeMs - b.openTimeMs);
      if (fresh.length === 0) break;
      for (const c of fresh) if (out.length === 0 || c.openTimeMs > out[out.length - 1].openTimeMs) out.push(c);
      since = out[out.length - 1].openTimeMs + timeframeMs;
      if (page.length < limit) break;
    }
    return out;
  }

  /** Stores closed candles (insert, existing rows unchanged). A failure is logged, never thrown: trading goes on. */
  async function storeCandles(candles: readonly Candle[]): Promise<void> {
    if (!deps.candles || candles.length === 0) return;
    try {
      await deps.candles.insertCandles(config.market, candleColumnsFromRows(candles));
    } catch (error) {
      deps.logger.warn(
        { session: config.id, err: error, fromMs: candles[0].openTimeMs, toMs: candles[candles.length - 1].openTimeMs, count: candles.length },
        'storing polled candles failed; the session keeps trading',
      );
    }
  }

  async function persist(lastCandleMs: number): Promise<void> {
    await deps.checkpoints.save({ sessionId: config.id, lastCandleMs, updatedAtMs: deps.clock.nowMs(), venuePosition: loop.venuePosition() });
    const risk = deps.risk.state();
    if (!deps.accountStoresRisk && Number.isFinite(risk.dayStartEquity) && Number.isFinite(risk.peakEquity)) await deps.riskState.save(risk);
    await deps.afterCandle?.();
  }

  /**
   * Stores the session's own halt (after a fatal venue error). The save is a compare-and-set, refused when
   * an operator halted or resumed at the same moment; then the halt is retried from a re-read: a halt
   * stored meanwhile is kept (its reason first), otherwise the halt fields are written alone.
   */
  async function storeOwnHalt(): Promise<void> {
    const own = deps.risk.state();
    if (Number.isFinite(own.dayStartEquity) && Number.isFinite(own.peakEquity)) await deps.riskState.save(own);
    const stored = await deps.riskState.load(own.accountId);
    if (stored?.halted) return;
    // Over a stored row only the halt fields are written (the stored day start and peak are passed through).
    await deps.riskState.saveHalt(stored ? { ...own, dayStartEquity: stored.dayStartEquity, dayStartMs: stored.dayStartMs, peakEquity: stored.peakEquity } : own);
  }

  /**
   * The candle to resume after: the checkpoint's, unless the simulated account settled less of this market. The account's
   * state (with its risk state) is stored after the checkpoint, in a transaction of its own: a crash between the two
   * leaves the account a candle behind, and resuming after the checkpoint would lose that candle's fills, fees and exits
   * for good. Resuming after what the account settled trades that candle again, on the state as stored.
   */
  function resumePoint(checkpointMs: number): number {
    const settled = deps.simulator?.settledThrough?.(config.market.symbol) ?? -Infinity;
    if (settled > -Infinity && settled < checkpointMs) {
      deps.logger.warn({ session: config.id, checkpointMs, settledMs: settled }, 'the account was stored behind the session checkpoint (a stop between the two writes): resuming after what the account settled');
      return settled;
    }
    return checkpointMs;
  }

  async function warmUp(): Promise<void> {
    if (!deps.sharedRisk) {
      const saved = await deps.riskState.load(config.id);
      if (saved) deps.risk.restore(saved);
    }
    const checkpoint = await deps.checkpoints.load(config.id);
    // A position left open at the venue: its exit (by the loop, its stop or the venue) is journaled against the true entry.
    if (checkpoint?.venuePosition && !deps.simulator) loop.resumeVenuePosition(checkpoint.venuePosition);
    const until = checkpoint ? resumePoint(checkpoint.lastCandleMs) : lastClosedOpenTime();
    const history = await fetchClosed(until - (warmupCandles - 1) * timeframeMs, until);
    const columns = candleColumnsFromRows(history);
    for (let i = 0; i < columns.length; i++) loop.warmUp(columns, i);
    await storeCandles(history);
    state.lastCandleMs = history.length ? history[history.length - 1].openTimeMs : checkpoint ? checkpoint.lastCandleMs : until;
    deps.logger.info({ session: config.id, warmup: history.length, resumeAfter: state.lastCandleMs, resumed: Boolean(checkpoint) }, 'live session warmed up');
  }

  async function pollOnce(): Promise<void> {
    const from = (state.lastCandleMs ?? lastClosedOpenTime()) + timeframeMs;
    const to = lastClosedOpenTime();
    if (from > to) return;
    const candles = await fetchClosed(from, to);
    if (candles.length === 0) return;
    const columns = candleColumnsFromRows(candles);
    let processed = 0;
    try {
      for (let i = 0; i < columns.length; i++) {
        if (abort?.signal.aborted) return;
        if (deps.beforeCandle && !(await deps.beforeCandle())) {
          stopRequested = true;
          return;
        }
        if (deps.account.refresh) await deps.account.refresh();
        const pending = loop.onCandle(columns, i);
        if (pending) await pending;
        state.lastCandleMs = columns.openTimeMs[i];
        state.candlesProcessed++;
        processed++;
        await persist(state.lastCandleMs);
      }
    } finally {
      // Only the candles the loop got through: a batch cut short by a stop or an error stores its prefix.
      await storeCandles(candles.slice(0, processed));
    }
  }

  async function run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await pollOnce();
        if (stopRequested) break;
        if (config.untilMs !== undefined && state.lastCandleMs !== null && state.lastCandleMs >= config.untilMs) {
          state.status = LiveSessionStatus.Completed;
          deps.logger.info({ session: config.id, lastCandleMs: state.lastCandleMs }, 'replay session reached the end of its candles');
          return;
        }
        if (failures > 0) deps.logger.info({ session: config.id, after: failures }, 'live session reconnected');
        failures = 0;
        state.status = LiveSessionStatus.Running;
        state.lastError = null;
        const nextClose = (Math.floor(deps.clock.nowMs() / timeframeMs) + 1) * timeframeMs;
        await deps.sleep(Math.max(0, Math.min(pollIntervalMs, nextClose - deps.clock.nowMs())), signal);
      } catch (error) {
        if (error instanceof StaleLeaseError) {
          // Another trader owns the session now: stop trading here at once, leave its records to the new owner.
          state.status = LiveSessionStatus.Stopped;
          state.lastError = error.message;
          deps.logger.error({ session: config.id, err: error }, 'live session stopped here: its lease moved to another trader');
          return;
        }
        if (error instanceof ExchangeError && error.failure === 'fatal') {
          const reason = `venue error: ${error.message}`;
          deps.risk.halt(reason);
          deps.events?.onHalt(reason, deps.clock.nowMs());
          await storeOwnHalt().catch((saveError: unknown) =>
            deps.logger.error({ session: config.id, err: saveError }, 'storing the halt after a fatal venue error failed; the session stops halted here'),
          );
          state.status = LiveSessionStatus.Halted;
          state.lastError = error.message;
          deps.logger.error({ session: config.id, err: error }, 'live session halted by a fatal venue error');
          return;
        }
        failures++;
        state.reconnects++;
        state.status = LiveSessionStatus.Reconnecting;
        state.lastError = error instanceof Error ? error.message : String(error);
        const delay = Math.min(backoff.maxMs, backoff.baseMs * 2 ** (failures - 1)) * (0.5 + deps.random() / 2);
        deps.logger.warn({ session: config.id, err: error, attempt: failures, delayMs: Math.round(delay) }, 'live session poll failed; retrying');
        await deps.sleep(delay, signal);
      }
    }
    state.status = LiveSessionStatus.Stopped;
  }

  return {
    state: () => ({ ...state }),
    start() {
      starting ??= (async () => {
        state.status = LiveSessionStatus.Starting;
        await warmUp();
        abort = new AbortController();
        state.status = LiveSessionStatus.Running;
        running = run(abort.signal).finally(async () => {
          await deps.journal?.flush().catch((error) => deps.logger.error({ err: error }, 'journal flush failed'));
        });
      })();
      return starting;
    },
    async stop() {
      abort?.abort();
      await running;
      if (state.status !== LiveSessionStatus.Halted && state.status !== LiveSessionStatus.Completed) state.status = LiveSessionStatus.Stopped;
    },
    done: () => running ?? Promise.resolve(),
    pushExternalSignal(alert) {
      if (!external) return false;
      external.push({ ...alert, receivedAtMs: deps.clock.nowMs() });
      return true;
    },
  };
}

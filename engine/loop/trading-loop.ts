/**
 * The trading loop: the one implementation that turns closed candles into decisions and orders.
 * A backtest drives it with a simulated clock and a historical feed; a live session drives it
 * with the wall clock and a venue feed. Nothing else decides or places orders.
 *
 * Per closed candle: (1) a simulated venue settles the candle (fills, funding, liquidation);
 * (2) features update; (3) risk records equity (breakers); (4) every adapter evaluates;
 * (5) fusion combines them; (6) an exit or entry, if any, passes the cooldown gate, the optional
 * veto model, TTL and the risk gate before an order reaches the exchange. Every decision is
 * journaled at the configured detail.
 *
 * Hot path: steps 1-5 allocate nothing. The loop returns a promise only on candles where it
 * must talk to the exchange or the veto model, so a backtest awaits only then.
 */
import type { Clock, DecisionOutcome, DecisionRecord, TradeRecord } from '../core/ports';
import type { CandleColumns, MarketKey } from '../core/types';
import { TIMEFRAME_MS } from '../core/types';
import type { Exchange } from '../execution/exchange';
import { createFeatureExtractor, type FeatureExtractor } from '../features/feature-extractor';
import { featureConfigFor } from '../features/feature-config';
import type { FeatureFrame } from '../features/feature-frame';
import { intentFeatures, ML_FEATURE_CONFIG } from '../ml/market-features';
import { createAdapterOutput, type AdapterOutput, type StrategyAdapter } from '../strategies/strategy-adapter';
import {
  createSignalFusion,
  createFusedSignal,
  type FusedSignal,
  type FusionConfig,
} from '../decision/signal-fusion';
import { createSignalGate } from '../decision/signal-gate';
import type { VetoModel } from '../decision/veto-model';
import type { RiskDecision, RiskEngine } from '../risk/risk-engine';
import type { JournalWriter } from '../journal/journal-writer';
import { OrderPurpose, type EngineEvents } from '../telemetry/engine-events';
import { DenialCode, denialCodeOf } from '../telemetry/metrics-sink';

/** ATR period the risk gate sizes with when a signal carries no stop hint. */
export const RISK_ATR_PERIOD = 14;

/** How much of the decision path goes to `decision_log`. */
export const DecisionDetail = { All: 'all', Signals: 'signals', Off: 'off' } as const;
export type DecisionDetail = (typeof DecisionDetail)[keyof typeof DecisionDetail];

/** A synchronous view of the account, kept current by the venue adapter. */
export interface AccountView {
  equity(): number;
  /** Signed base amount held (+ long, - short, 0 flat). */
  positionAmountSigned(symbol: string): number;
  /** Number of symbols with an open position. */
  openPositionCount(): number;
  /** Sum of |amount| x mark over open positions, quote currency. */
  grossNotional(): number;
  /** A remote venue's view is refreshed before each candle (the paper account is always current). */
  refresh?(): Promise<void>;
}

/** Per-candle simulation hook of a simulated venue (the PaperExchange). */
export interface CandleSimulator {
  symbolIndex(symbol: string): number;
  onCandleAt(symbolIndex: number, openTimeMs: number, open: number, high: number, low: number, close: number, volume: number): void;
}

/** A round trip closed by the venue, as the loop hears about it: a journal trade without its ids and attribution. */
export type ClosedTrade = Omit<TradeRecord, 'id' | 'runId' | 'exchange' | 'strategy'>;

export interface TradingLoopConfig {
  market: MarketKey;
  /** Backtest run id, or null in a live session. */
  runId: string | null;
  /** Prefix of client order ids (a live session's id); defaults to the run id. */
  clientIdPrefix?: string;
  strategies: readonly StrategyAdapter[];
  fusion: FusionConfig;
  decisionDetail: DecisionDetail;
  /** Whether short entries are allowed (futures). On spot a short signal only closes a long. */
  allowShort: boolean;
  /** Expected number of candles (pre-sizes the feature arrays). */
  capacityHint: number;
}

export interface TradingLoopDeps {
  clock: Clock;
  exchange: Exchange;
  account: AccountView;
  simulator: CandleSimulator | null;
  risk: RiskEngine;
  journal: JournalWriter | null;
  veto: VetoModel | null;
  newId: () => string;
  /** Metrics and notifications; reported only on orders, denials, venue closes and halt changes, never per candle. */
  events?: EngineEvents;
}

/** Counters a run reports. */
export interface LoopStats {
  candles: number;
  signals: number;
  entries: number;
  exits: number;
  denied: number;
  vetoed: number;
  cooldown: number;
  expired: number;
  rejected: number;
}

export interface TradingLoop {
  /**
   * Processes the closed candle at `row` of `candles`. Returns a promise only when it has exchange or
   * model work to await. A backtest passes its loaded columns; a live feed writes each new candle into
   * a small column buffer of its own. (Rows, not price arguments: passing doubles through calls that
   * the JIT does not inline boxes them, one allocation per price.)
   */
  onCandle(candles: CandleColumns, row: number): Promise<void> | undefined;
  /**
   * Feeds a historical candle to the features only (no decision, no order, no equity point):
   * a live session warms its indicators with recent history before trading.
   */
  warmUp(candles: CandleColumns, row: number): void;
  /** Open time of the last candle seen (by `onCandle` or `warmUp`), NaN before any. */
  lastOpenTimeMs(): number;
  /** Journals a round trip the venue closed (wire the PaperExchange listener here). */
  onTradeClosed(trade: ClosedTrade): void;
  readonly features: FeatureExtractor;
  stats(): Readonly<LoopStats>;
}

const sideName = (d: number): 'long' | 'short' | 'flat' => (d > 0 ? 'long' : d < 0 ? 'short' : 'flat');

/** Builds a loop for one market. Throws ValidationError when the strategy set is empty or fusion config is invalid. */
export function createTradingLoop(config: TradingLoopConfig, deps: TradingLoopDeps): TradingLoop {
  const { market, strategies } = config;
  const symbol = market.symbol;
  const timeframeMs = TIMEFRAME_MS[market.timeframe];
  const features = createFeatureExtractor(
    featureConfigFor([...strategies, { features: { atr: [RISK_ATR_PERIOD] } }, ...(deps.veto ? [{ features: ML_FEATURE_CONFIG }] : [])]),
    Math.max(16, config.capacityHint),
  );
  const names = strategies.map((s) => s.name);
  const outputs: AdapterOutput[] = strategies.map(() => createAdapterOutput());
  const fusion = createSignalFusion(config.fusion);
  const weights = Float64Array.from(names, (name) => fusion.config.weights[name] ?? 0);
  const fused: FusedSignal = createFusedSignal();
  const gate = createSignalGate({ ttlMs: fusion.config.ttlMs, cooldownMs: fusion.config.cooldownMs });
  const warmup = strategies.reduce((m, s) => Math.max(m, s.warmup), RISK_ATR_PERIOD);
  const stats: LoopStats = { candles: 0, signals: 0, entries: 0, exits: 0, denied: 0, vetoed: 0, cooldown: 0, expired: 0, rejected: 0 };
  const journal = config.decisionDetail === DecisionDetail.Off ? null : deps.journal;
  const logEveryCandle = config.decisionDetail === DecisionDetail.All;

  const simulator = deps.simulator;
  const simulatorSymbol = simulator ? simulator.symbolIndex(symbol) : -1;
  let entryStrategy = '';
  let stopOrderId: string | null = null;
  let entryOrderId: string | null = null;
  let exitOrderId: string | null = null;
  let cleanupPending = false;
  const events = deps.events;
  const breakerOf = (reason: string | null) => (reason ?? '').split(':', 1)[0] || 'unknown';
  let lastHalted = deps.risk.isHalted();
  let trippedBreaker = lastHalted ? breakerOf(deps.risk.state().haltReason) : '';

  /** Equity, drawdown from the peak and open positions after a fill (allocates; events only). */
  const reportAccount = () => {
    if (!events) return;
    let drawdownPct = 0;
    for (const breaker of deps.risk.breakers()) {
      if (breaker.name === 'max_drawdown' && Number.isFinite(breaker.currentPct)) drawdownPct = Math.max(0, breaker.currentPct);
    }
    events.onAccount(deps.account.equity(), drawdownPct, deps.account.openPositionCount());
  };

  /** Reports a halt that started (breaker trip or manual halt) or ended since the last candle. */
  const reportHaltChange = (timeMs: number) => {
    lastHalted = deps.risk.isHalted();
    if (!events) return;
    if (lastHalted) {
      const reason = deps.risk.state().haltReason ?? 'no reason recorded';
      trippedBreaker = breakerOf(reason);
      events.onBreaker(trippedBreaker, true, reason, timeMs);
    } else {
      events.onBreaker(trippedBreaker || 'unknown', false, 'resumed', timeMs);
      trippedBreaker = '';
    }
  };

  const adapterInputs = () =>
    names.map((name, k) => ({ strategy: name, side: sideName(outputs[k].side), strength: outputs[k].strength, stopHint: outputs[k].stopHint, reason: outputs[k].reason }));

  const record = (timeMs: number, outcome: DecisionOutcome, side: number, strength: number, reason: string, extra: Record<string, unknown> = {}) => {
    if (!journal) return;
    const decision: DecisionRecord = {
      id: deps.newId(),
      runId: config.runId,
      exchange: market.exchange,
      symbol,
      timeframe: market.timeframe,
      strategy: dominantStrategy(side),
      timeMs,
      outcome,
      side: sideName(side),
      strength,
      reason,
      inputs: { adapters: adapterInputs(), fused: { side: sideName(fused.side), strength: fused.strength, stopHint: fused.stopHint }, ...extra },
    };
    journal.recordDecision(decision);
  };

  /** The adapter contributing most to the fused direction; names the trade's strategy. */
  const dominantStrategy = (side: number): string => {
    let best = -1;
    let bestScore = 0;
    for (let k = 0; k < outputs.length; k++) {
      const score = outputs[k].side === side ? outputs[k].strength * weights[k] : 0;
      if (score > bestScore) {
        bestScore = score;
        best = k;
      }
    }
    return best >= 0 ? names[best] : 'fusion';
  };

  /**
   * Client order ids are a pure function of (session, kind, candle time): the loop places at most one
   * order of each kind per candle, so a restarted session that replays a candle resubmits the same ids
   * and the venue's client-id idempotency turns the repeat into a no-op instead of a duplicate order.
   */
  const clientIdPrefix = config.clientIdPrefix ?? config.runId ?? 'live';
  const nextClientId = (kind: string, timeMs: number) => `${clientIdPrefix}-${kind}-${timeMs}`;

  /** Cancels the loop's working orders on the symbol (an entry's unfilled remainder, a previous exit, the stop). */
  async function cancelWorkingOrders(): Promise<void> {
    for (const id of [entryOrderId, exitOrderId, stopOrderId]) {
      if (id) await deps.exchange.cancelOrder(id, symbol);
    }
    entryOrderId = exitOrderId = stopOrderId = null;
  }

  async function cleanup(): Promise<void> {
    cleanupPending = false;
    await cancelWorkingOrders();
  }

  async function exit(timeMs: number, held: number, reason: string): Promise<void> {
    await cancelWorkingOrders();
    const order = await deps.exchange.createOrder({
      clientOrderId: nextClientId('exit', timeMs),
      symbol,
      side: held > 0 ? 'sell' : 'buy',
      type: 'market',
      amount: Math.abs(held),
      reduceOnly: true,
    });
    events?.onOrder(order, OrderPurpose.Exit, timeMs);
    if (order.status === 'rejected') {
      stats.rejected++;
      const reason = `exit rejected by the exchange: ${order.reason ?? 'no reason given'}`;
      events?.onDenied(symbol, DenialCode.ExchangeRejected, reason, timeMs);
      record(timeMs, 'denied', -Math.sign(held), fused.strength, reason);
      return;
    }
    reportAccount();
    exitOrderId = order.status === 'filled' ? null : order.id;
    stats.exits++;
    record(timeMs, 'executed', -Math.sign(held), fused.strength, reason, { orderId: order.id });
  }

  async function enter(signalTimeMs: number, side: number, price: number, atr: number): Promise<void> {
    const strategy = dominantStrategy(side);
    let vetoInfo: Record<string, unknown> = {};
    if (deps.veto) {
      const confidence = await deps.veto.predictLossProbability(vetoFeatures(features, features.length - 1, side));
      fusion.applyVeto(fused, confidence);
      const threshold = fusion.config.vetoThreshold;
      vetoInfo = { veto: { modelVersion: deps.veto.version, lossProbability: confidence, threshold } };
      if (fused.vetoed) {
        stats.vetoed++;
        record(signalTimeMs, 'vetoed', side, fused.strength, `veto model ${deps.veto.version} gave loss probability ${confidence.toFixed(4)} >= ${threshold}`, vetoInfo);
        return;
      }
    }
    if (gate.isExpired(signalTimeMs, deps.clock.nowMs())) {
      stats.expired++;
      record(signalTimeMs, 'expired', side, fused.strength, `signal older than its ttl of ${fusion.config.ttlMs} ms`, vetoInfo);
      return;
    }
    const held = deps.account.positionAmountSigned(symbol);
    const decision: RiskDecision = deps.risk.evaluate({
      symbol,
      side: side > 0 ? 'long' : 'short',
      price,
      stopHint: fused.stopHint,
      atr,
      equity: deps.account.equity(),
      currentPositionNotional: held * price,
      totalOpenNotional: deps.account.grossNotional(),
      openPositions: deps.account.openPositionCount(),
    });
    if (!decision.approved) {
      stats.denied++;
      events?.onDenied(symbol, denialCodeOf(decision.reason, decision.checks), decision.reason, signalTimeMs);
      record(signalTimeMs, 'denied', side, fused.strength, decision.reason, { ...vetoInfo, risk: decision.checks });
      return;
    }
    const order = await deps.exchange.createOrder({
      clientOrderId: nextClientId('entry', signalTimeMs),
      symbol,
      side: side > 0 ? 'buy' : 'sell',
      type: 'market',
      amount: decision.amount,
    });
    events?.onOrder(order, OrderPurpose.Entry, signalTimeMs);
    if (order.status === 'rejected') {
      stats.rejected++;
      const reason = `entry rejected by the exchange: ${order.reason ?? 'no reason given'}`;
      events?.onDenied(symbol, DenialCode.ExchangeRejected, reason, signalTimeMs);
      record(signalTimeMs, 'denied', side, fused.strength, reason, { ...vetoInfo, risk: decision.checks });
      return;
    }
    gate.noteEntry(0, signalTimeMs);
    entryOrderId = order.status === 'filled' ? null : order.id;
    entryStrategy = strategy;
    stats.entries++;
    const stop = await deps.exchange.createOrder({
      clientOrderId: nextClientId('stop', signalTimeMs),
      symbol,
      side: side > 0 ? 'sell' : 'buy',
      type: 'stop',
      amount: order.amount,
      stopPrice: decision.stopPrice,
      reduceOnly: true,
    });
    stopOrderId = stop.status === 'rejected' ? null : stop.id;
    events?.onOrder(stop, OrderPurpose.Stop, signalTimeMs);
    reportAccount();
    record(signalTimeMs, 'executed', side, fused.strength, `entered ${sideName(side)} ${decision.amount} at ~${price}, stop ${decision.stopPrice}`, {
      ...vetoInfo,
      risk: decision.checks,
      orderId: order.id,
      stopOrderId,
    });
  }

  async function act(timeMs: number, held: number, price: number, atr: number): Promise<void> {
    const side = fused.side;
    if (held !== 0 && Math.sign(held) !== side) {
      await exit(timeMs, held, `exit ${sideName(Math.sign(held))}: fused signal turned ${sideName(side)}`);
      // A partially filled exit leaves part of the position: never stack a new entry on top of it.
      if (deps.account.positionAmountSigned(symbol) !== 0) return;
    }
    if (side < 0 && !config.allowShort) {
      if (held === 0) record(timeMs, 'no_trade', side, fused.strength, 'short signal ignored: the market does not allow short positions');
      return;
    }
    if (gate.admit(0, timeMs) !== 'ok') {
      stats.cooldown++;
      record(timeMs, 'cooldown', side, fused.strength, `symbol in cooldown for ${fusion.config.cooldownMs} ms after the last entry`);
      return;
    }
    if (deps.risk.isHalted()) {
      stats.denied++;
      const reason = `halted: ${deps.risk.state().haltReason ?? 'no reason recorded'}`;
      events?.onDenied(symbol, DenialCode.Halted, reason, timeMs);
      record(timeMs, 'denied', side, fused.strength, reason);
      return;
    }
    await enter(timeMs, side, price, atr);
  }

  return {
    features,
    stats: () => stats,
    onTradeClosed(trade) {
      if (trade.exitReason === 'stop' || trade.exitReason === 'liquidation') {
        stopOrderId = null;
        // An entry remainder still working would reopen the position without a stop: cancel it next candle.
        if (entryOrderId || exitOrderId) cleanupPending = true;
        if (events) {
          events.onVenueClose(trade);
          reportAccount();
        }
      }
      if (!deps.journal) return;
      const row: TradeRecord = {
        id: deps.newId(),
        runId: config.runId,
        exchange: market.exchange,
        symbol: trade.symbol,
        strategy: entryStrategy || 'fusion',
        side: trade.side,
        amount: trade.amount,
        entryPrice: trade.entryPrice,
        exitPrice: trade.exitPrice,
        entryTimeMs: trade.entryTimeMs,
        exitTimeMs: trade.exitTimeMs,
        realizedPnl: trade.realizedPnl,
        fees: trade.fees,
        funding: trade.funding,
        exitReason: trade.exitReason,
      };
      deps.journal.recordTrade(row);
    },
    warmUp(candles, row) {
      features.pushFrom(candles, row);
    },
    lastOpenTimeMs: () => (features.length > 0 ? features.openTimeMs[features.length - 1] : NaN),
    onCandle(candles, row) {
      const openTimeMs = candles.openTimeMs[row];
      if (simulator) {
        simulator.onCandleAt(simulatorSymbol, openTimeMs, candles.open[row], candles.high[row], candles.low[row], candles.close[row], candles.volume[row]);
      }
      features.pushFrom(candles, row);
      const close = candles.close[row];
      const closeTimeMs = openTimeMs + timeframeMs;
      deps.risk.onEquity(closeTimeMs, deps.account.equity());
      if (deps.risk.isHalted() !== lastHalted) reportHaltChange(closeTimeMs);
      stats.candles++;
      const i = features.length - 1;
      if (i < warmup) return undefined;
      for (let k = 0; k < strategies.length; k++) strategies[k].evaluate(features, i, outputs[k]);
      fusion.fuse(outputs, names, fused);
      const held = deps.account.positionAmountSigned(symbol);
      if (fused.side === 0 || Math.sign(held) === fused.side) {
        if (logEveryCandle) record(closeTimeMs, 'no_trade', fused.side, fused.strength, fused.side === 0 ? 'no fused signal' : 'already positioned in the signal direction');
        return cleanupPending ? cleanup() : undefined;
      }
      stats.signals++;
      return cleanupPending
        ? cleanup().then(() => act(closeTimeMs, deps.account.positionAmountSigned(symbol), close, features.atr[RISK_ATR_PERIOD][i]))
        : act(closeTimeMs, held, close, features.atr[RISK_ATR_PERIOD][i]);
    },
  };
}

/**
 * The veto model's input vector for an entry of `side` (+1 long, -1 short) at row `i`: exactly the
 * intent-veto training features (engine/ml/market-features.ts `intentFeatures`), so training and
 * serving cannot drift. Allocates (called only when a signal fires).
 */
export function vetoFeatures(f: FeatureFrame, i: number, side: number): Float32Array {
  return intentFeatures(f, i, side);
}

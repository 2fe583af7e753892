/**
 * External signals (e.g. a TradingView alert delivered by webhook). They are journalled as
 * decisions so every alert leaves a trace: denied when the market is unknown or trading is
 * halted, otherwise recorded as a `signal` decision and handed to the live session of its market,
 * whose loop fuses it with its adapters at the next candle close (veto, TTL and risk gate apply).
 * An alert never places an order by itself.
 */
import type { CandleRepository } from '../ports/candles';
import type { Clock } from '../core/clock';
import type { DecisionRecord } from '../ports/journal';
import type { RiskStateRepository } from '../ports/risk-state';
import { DecisionOutcome } from '../ports/journal';
import { ValidationError } from '../core/errors';
import { SignalSide, TIMEFRAME_MS, symbolMatches, type Timeframe } from '../core/types';
import type { JournalWriter } from '../ports/journal-writer';

/** An alert from outside the engine. */
export interface ExternalSignal {
  /** Venue; when omitted the first stored stream of the symbol decides. */
  exchange?: string;
  /** Unified symbol, e.g. "BTC/USDT"; "BTCUSDT" matches a stored "BTC/USDT" stream. */
  symbol: string;
  side: SignalSide;
  /** Name of the strategy that raised the alert (free text from the sender). */
  strategy: string;
  /** 0..1 conviction; default 1. */
  strength?: number;
  /** Price the sender saw, quote currency; informational. */
  price?: number;
  /** Timeframe of the alert; default: the stored stream's. */
  timeframe?: Timeframe;
  /** Where it came from, e.g. "webhook:<id>". */
  source: string;
}

/** What happened to an external signal. `decisionId` is the journal row. */
export interface ExternalSignalResult {
  decisionId: string;
  outcome: typeof DecisionOutcome.Denied | typeof DecisionOutcome.Signal;
  reason: string;
}

/** Account whose risk state (halt) applies to external signals; the risk engine's default account. */
export const EXTERNAL_SIGNAL_ACCOUNT = 'default';

/**
 * Validates, checks the market and the halt, journals one decision and waits until it is stored.
 * @throws ValidationError for a bad symbol, side, strength or price (nothing is journalled).
 */
export async function submitExternalSignal(
  signal: ExternalSignal,
  deps: {
    candles: CandleRepository;
    riskState: RiskStateRepository;
    journal: JournalWriter;
    clock: Clock;
    newId: () => string;
    /** Hands the alert to the live session of its market (here or, over the control bus, in another process); returns that session's id, or null when none runs. */
    route?: (alert: { exchange?: string; symbol: string; side: SignalSide; strength: number; stopHint: number }) => string | null | Promise<string | null>;
  },
): Promise<ExternalSignalResult> {
  if (typeof signal.symbol !== 'string' || !/^[A-Z0-9]+(\/[A-Z0-9]+)?(:[A-Z0-9]+)?$/.test(signal.symbol)) {
    throw new ValidationError('symbol', signal.symbol, 'expected an upper-case symbol like "BTC/USDT" or "BTCUSDT"');
  }
  if (!Object.values(SignalSide).includes(signal.side)) throw new ValidationError('side', signal.side, 'expected long, short or flat');
  const strength = signal.strength ?? 1;
  if (!(strength >= 0 && strength <= 1)) throw new ValidationError('strength', signal.strength, 'expected a number from 0 to 1');
  if (signal.price !== undefined && !(signal.price > 0 && Number.isFinite(signal.price))) throw new ValidationError('price', signal.price, 'expected a positive number');
  if (signal.timeframe !== undefined && !(signal.timeframe in TIMEFRAME_MS)) throw new ValidationError('timeframe', signal.timeframe, 'not a known timeframe');

  const streams = (await deps.candles.summarize()).filter(
    (s) => symbolMatches(s.symbol, signal.symbol) && (signal.exchange === undefined || s.exchange === signal.exchange),
  );
  const stream = streams[0];
  const risk = await deps.riskState.load(EXTERNAL_SIGNAL_ACCOUNT);
  let outcome: ExternalSignalResult['outcome'] = DecisionOutcome.Signal;
  let reason = '';
  if (!stream) {
    outcome = DecisionOutcome.Denied;
    reason = `Market "${signal.symbol}"${signal.exchange ? ` on "${signal.exchange}"` : ''} is not known: no candles are stored for it`;
  } else if (risk?.halted) {
    outcome = DecisionOutcome.Denied;
    reason = `trading is halted: ${risk.haltReason ?? 'no reason recorded'}`;
  } else {
    const sessionId = (await deps.route?.({ exchange: signal.exchange ?? stream.exchange, symbol: stream.symbol, side: signal.side, strength, stopHint: NaN })) ?? null;
    reason = sessionId
      ? `external signal handed to live session ${sessionId}: it acts at the next candle close through fusion, the veto and the risk gate`
      : `external signal recorded; no live session trades ${stream.symbol}, so nothing acts on it`;
  }
  const decision: DecisionRecord = {
    id: deps.newId(),
    runId: null,
    exchange: stream?.exchange ?? signal.exchange ?? 'unknown',
    symbol: stream?.symbol ?? signal.symbol,
    timeframe: signal.timeframe ?? stream?.timeframe ?? '1m',
    strategy: signal.strategy,
    timeMs: deps.clock.nowMs(),
    outcome,
    side: signal.side,
    strength,
    reason,
    inputs: { source: signal.source, price: signal.price ?? null, external: true },
  };
  deps.journal.recordDecision(decision);
  await deps.journal.flush();
  return { decisionId: decision.id, outcome, reason };
}

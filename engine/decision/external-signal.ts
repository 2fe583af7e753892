/**
 * External signals (e.g. a TradingView alert delivered by webhook). They are journalled as
 * decisions of their account so every alert leaves a trace: denied when the account or the market is
 * unknown or the account is halted, otherwise recorded as a `signal` decision and handed to that
 * account's live session of its market, whose loop fuses it with its adapters at the next candle close
 * (veto, TTL and risk gate apply). An alert never places an order by itself.
 */
import type { CandleRepository } from '../ports/candles';
import type { Clock } from '../core/clock';
import type { DecisionRecord } from '../ports/journal';
import type { RiskStateRepository } from '../ports/risk-state';
import { DecisionOutcome } from '../ports/journal';
import { ValidationError } from '../core/errors';
import { SignalSide, TIMEFRAME_MS, symbolMatches, type Timeframe } from '../core/types';
import type { JournalWriter } from '../ports/journal-writer';
import { ACCOUNT_ID_PATTERN, DEFAULT_ACCOUNT_ID } from '../account/account-config';
import { DenialCode } from '../ports/metrics';

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
  /** The account whose session of the market receives it, and whose halt applies; default `default`. */
  account?: string;
}

/** What happened to an external signal. `decisionId` is the journal row. */
export interface ExternalSignalResult {
  decisionId: string;
  outcome: typeof DecisionOutcome.Denied | typeof DecisionOutcome.Signal;
  reason: string;
  /** Why it was denied, as a bounded label (null for a signal). */
  denialCode: DenialCode | null;
}

/** Account an external signal names when it names none. */
export const EXTERNAL_SIGNAL_ACCOUNT = DEFAULT_ACCOUNT_ID;

/**
 * Validates, checks the account, the market and the account's halt, journals one decision of the account and waits
 * until it is stored.
 * @throws ValidationError for a bad symbol, side, strength, price, timeframe or account id (nothing is journalled).
 */
export async function submitExternalSignal(
  signal: ExternalSignal,
  deps: {
    candles: CandleRepository;
    riskState: RiskStateRepository;
    journal: JournalWriter;
    clock: Clock;
    newId: () => string;
    /**
     * Hands the alert to the account's live session of its market (here or, over the control bus, in another process);
     * returns that session's id, or null when none runs.
     */
    route?: (alert: { exchange?: string; symbol: string; side: SignalSide; strength: number; stopHint: number; accountId: string }) => string | null | Promise<string | null>;
    /** Whether the account exists; absent: every account id is taken as existing. */
    accountExists?: (accountId: string) => Promise<boolean>;
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
  const accountId = signal.account ?? EXTERNAL_SIGNAL_ACCOUNT;
  if (typeof accountId !== 'string' || !ACCOUNT_ID_PATTERN.test(accountId)) throw new ValidationError('account', signal.account, 'expected an account id like "default"');

  const streams = (await deps.candles.summarize()).filter(
    (s) => symbolMatches(s.symbol, signal.symbol) && (signal.exchange === undefined || s.exchange === signal.exchange),
  );
  const stream = streams[0];
  const known = deps.accountExists ? await deps.accountExists(accountId) : true;
  const risk = known ? await deps.riskState.load(accountId) : null;
  let outcome: ExternalSignalResult['outcome'] = DecisionOutcome.Signal;
  let reason = '';
  let denialCode: DenialCode | null = null;
  if (!known) {
    outcome = DecisionOutcome.Denied;
    denialCode = DenialCode.Other;
    reason = `account "${accountId}" does not exist: name an account listed on /accounts (or none, for "${EXTERNAL_SIGNAL_ACCOUNT}")`;
  } else if (!stream) {
    outcome = DecisionOutcome.Denied;
    denialCode = DenialCode.UnknownMarket;
    reason = `Market "${signal.symbol}"${signal.exchange ? ` on "${signal.exchange}"` : ''} is not known: no candles are stored for it`;
  } else if (risk?.halted) {
    outcome = DecisionOutcome.Denied;
    denialCode = DenialCode.Halted;
    reason = `trading is halted: ${risk.haltReason ?? 'no reason recorded'}`;
  } else {
    const sessionId = (await deps.route?.({ exchange: signal.exchange ?? stream.exchange, symbol: stream.symbol, side: signal.side, strength, stopHint: NaN, accountId })) ?? null;
    reason = sessionId
      ? `external signal handed to live session ${sessionId}: it acts at the next candle close through fusion, the veto and the risk gate`
      : `external signal recorded; no live session of account "${accountId}" trades ${stream.symbol}, so nothing acts on it`;
  }
  const decision: DecisionRecord = {
    id: deps.newId(),
    runId: null,
    // An unknown account's alert is no account's row: it names one that does not exist.
    ...(known ? { accountId } : {}),
    exchange: stream?.exchange ?? signal.exchange ?? 'unknown',
    symbol: stream?.symbol ?? signal.symbol,
    timeframe: signal.timeframe ?? stream?.timeframe ?? '1m',
    strategy: signal.strategy,
    timeMs: deps.clock.nowMs(),
    outcome,
    side: signal.side,
    strength,
    reason,
    inputs: { source: signal.source, price: signal.price ?? null, external: true, ...(known ? {} : { account: accountId }) },
  };
  deps.journal.recordDecision(decision);
  await deps.journal.flush();
  return { decisionId: decision.id, outcome, reason, denialCode };
}

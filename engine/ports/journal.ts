/**
 * Journal storage port: closed trades and decisions, their queries and summaries.
 * engine/ports holds every interface the engine needs from outside; it imports only engine/core and other ports.
 */
import type { Timeframe } from '../core/types';
import type { SessionFence } from './live-sessions';

/** A closed (round-trip) trade as journaled. Money in quote currency. */
export interface TradeRecord {
  id: string;
  runId: string | null;
  /**
   * The account whose session traded it (live, paper and replay trades); absent or null on a backtest's
   * trades. Live trades journaled before trades recorded their account belong to the default account
   * (migration 0023).
   */
  accountId?: string | null;
  exchange: string;
  symbol: string;
  strategy: string;
  side: 'long' | 'short';
  amount: number;
  entryPrice: number;
  exitPrice: number;
  entryTimeMs: number;
  exitTimeMs: number;
  realizedPnl: number;
  fees: number;
  funding: number;
  /** How it ended: one of {@link TradeExitReason} (older rows may hold `reduce`: a reduce-only order the loop did not place). */
  exitReason: string;
  /**
   * The risk taken on this row at entry, quote currency: |entry price − initial stop| × amount (the
   * initial stop is the protective stop placed at entry, before any trailing). Null or absent when
   * unknown (no stop recorded). Average R of a group = mean of net PnL / initialRisk over rows with
   * initialRisk > 0.
   */
  initialRisk?: number | null;
}

/**
 * Why a trade (or a part of one) closed:
 * - `stop`: its protective stop filled; `trailing-stop`: the stop after the exit policy moved it;
 * - `take-profit`: a take-profit level of the exit policy filled (a partial level closes a part);
 * - `time-stop`: held for the policy's number of bars; `roi`: the policy's minimal-ROI table reached;
 * - `exit-signal`: a strategy of the run asked to close (`AdapterOutput.exit`);
 * - `signal`: the fused signal turned against the position;
 * - `end-of-run`: still open when a backtest ended, closed at the last candle's close;
 * - `liquidation`: the venue (or the paper simulation) liquidated it;
 * - `venue`: a real venue closed it without the loop or a filled stop/take-profit (a close by hand,
 *   a liquidation; priced at the last candle close).
 */
export const TradeExitReason = {
  Stop: 'stop',
  TrailingStop: 'trailing-stop',
  TakeProfit: 'take-profit',
  TimeStop: 'time-stop',
  Roi: 'roi',
  ExitSignal: 'exit-signal',
  Signal: 'signal',
  EndOfRun: 'end-of-run',
  Liquidation: 'liquidation',
  Venue: 'venue',
} as const;
export type TradeExitReason = (typeof TradeExitReason)[keyof typeof TradeExitReason];

export const DecisionOutcome = {
  NoTrade: 'no_trade',
  Signal: 'signal',
  Vetoed: 'vetoed',
  Denied: 'denied',
  Expired: 'expired',
  Cooldown: 'cooldown',
  Executed: 'executed',
} as const;
export type DecisionOutcome = (typeof DecisionOutcome)[keyof typeof DecisionOutcome];

/** One row of the decision log: every decision, including no-trade, vetoed and denied, with inputs and reason. */
export interface DecisionRecord {
  id: string;
  runId: string | null;
  /** The account whose session decided it; absent or null on a backtest's decisions (see TradeRecord.accountId). */
  accountId?: string | null;
  exchange: string;
  symbol: string;
  timeframe: Timeframe;
  strategy: string;
  timeMs: number;
  outcome: DecisionOutcome;
  side: 'long' | 'short' | 'flat';
  strength: number;
  reason: string;
  /** Adapter signals, fusion inputs, veto confidence and model version, risk checks. */
  inputs: Record<string, unknown>;
}

/** How a closed trade ended: `win` when its net PnL (realizedPnl − fees − funding) > 0, else `loss` (break-even counts as a loss, as in the metrics' win rate). */
export const TradeOutcome = { Win: 'win', Loss: 'loss' } as const;
export type TradeOutcome = (typeof TradeOutcome)[keyof typeof TradeOutcome];

/**
 * Sort keys of journal lists. `time` is the trade's exit time or the decision's time; ties (and
 * `symbol`, which sorts by symbol then time) break on id, so pages never overlap. `pnl` (net pnl:
 * realizedPnl − fees − funding) applies to trades only.
 */
export const JournalSort = { Time: 'time', Pnl: 'pnl', Symbol: 'symbol' } as const;
export type JournalSort = (typeof JournalSort)[keyof typeof JournalSort];

export const SortDirection = { Asc: 'asc', Desc: 'desc' } as const;
export type SortDirection = (typeof SortDirection)[keyof typeof SortDirection];

/**
 * Page request for journal lists. `limit` 1..1000. Time filters are `fromMs <= time < toMs`.
 * A cursor is only valid with the sort and direction of the page that returned it.
 * Repositories throw ValidationError naming the field for an outcome or sort that does not apply
 * to the list (e.g. `outcome: "vetoed"` on trades, `sort: "pnl"` on decisions).
 */
export interface JournalQuery {
  symbol?: string;
  strategy?: string;
  /** A backtest run id; `null` selects live rows only (no run). */
  runId?: string | null;
  /** The rows of one account's sessions (live, paper and replay; never a backtest's). */
  accountId?: string;
  fromMs?: number;
  toMs?: number;
  /** Trades: long|short; decisions: long|short|flat. */
  side?: 'long' | 'short' | 'flat';
  /** Trades: win|loss; decisions: a DecisionOutcome. */
  outcome?: TradeOutcome | DecisionOutcome;
  /** Default `time`. */
  sort?: JournalSort;
  /** Default `desc` (newest first). */
  direction?: SortDirection;
  limit?: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Net PnL of the trades that exited on one UTC day (`dayStartMs` = that day's 00:00 UTC). */
export interface DailyNetPnl {
  dayStartMs: number;
  netPnl: number;
}

/**
 * Aggregate of the closed trades of one scope (live or one backtest run), computed by the store so
 * the overview never loads the trades. Net PnL = realizedPnl − fees − funding; money in quote currency.
 */
export interface TradeSummary {
  trades: number;
  /** Trades with net PnL > 0. */
  wins: number;
  /** Trades with net PnL < 0 (break-even trades are neither). */
  losses: number;
  /** Sum of the positive net PnLs. */
  grossProfit: number;
  /** Sum of |net PnL| over the losing trades (>= 0). */
  grossLoss: number;
  netPnl: number;
  /** Sum of |amount × entryPrice|. */
  entryNotional: number;
  /** Earliest entry time; null without trades. */
  firstEntryMs: number | null;
  /** Length of the union of the [entry, exit] intervals (overlapping trades count once), ms. */
  exposureMs: number;
  /** Net PnL per UTC exit day, ascending; days without exits are absent. */
  daily: DailyNetPnl[];
}

/**
 * Dimensions of the per-tag trade analysis. Hour of day (0-23) and weekday (ISO: 1 = Monday …
 * 7 = Sunday) are those of the trade's entry time in UTC.
 */
export const TradeBreakdownDimension = {
  Strategy: 'strategy',
  ExitReason: 'exitReason',
  Side: 'side',
  HourOfDay: 'hourOfDay',
  Weekday: 'weekday',
} as const;
export type TradeBreakdownDimension = (typeof TradeBreakdownDimension)[keyof typeof TradeBreakdownDimension];

/**
 * The closed trades sharing one value of a dimension. Net PnL = realizedPnl − fees − funding (quote
 * currency); a win is a trade with net PnL > 0, so `winRate = wins / trades` (0..1).
 * `averageR` = the mean of net PnL / initialRisk over the group's trades with initialRisk > 0 (a trade
 * that lost exactly its initial risk plus costs is about −1 R); null when none of them has one.
 */
export interface TradeGroup<Key extends string | number = string | number> {
  key: Key;
  trades: number;
  wins: number;
  winRate: number;
  netPnl: number;
  averageR: number | null;
}

/**
 * Per-tag analysis of the trades matching a filter: one list of groups per dimension, each ordered by
 * key ascending; every list's counts add up to `trades`. Computed by the store (one GROUP BY per
 * dimension), never by loading the trades.
 */
export interface TradeBreakdown {
  trades: number;
  strategy: TradeGroup<string>[];
  exitReason: TradeGroup<string>[];
  side: TradeGroup<'long' | 'short'>[];
  hourOfDay: TradeGroup<number>[];
  weekday: TradeGroup<number>[];
}

/**
 * Which trades a breakdown covers: the trade list's filters without paging or sort (`runId: null`
 * selects live trades, a run id one backtest run, absent every trade). Times filter the exit time.
 */
export type TradeBreakdownFilter = Omit<JournalQuery, 'cursor' | 'limit' | 'sort' | 'direction'>;

/** Journal storage for trades and decisions. Appends are multi-row and transactional. */
export interface JournalRepository {
  /** @throws StaleLeaseError when `fence` (a live session's write) is given and no longer current; nothing is written. */
  appendTrades(trades: readonly TradeRecord[], fence?: SessionFence): Promise<void>;
  /** @throws StaleLeaseError when `fence` (a live session's write) is given and no longer current; nothing is written. */
  appendDecisions(decisions: readonly DecisionRecord[], fence?: SessionFence): Promise<void>;
  listTrades(query: JournalQuery): Promise<Page<TradeRecord>>;
  listDecisions(query: JournalQuery): Promise<Page<DecisionRecord>>;
  /** One trade by id, or null. */
  getTrade(id: string): Promise<TradeRecord | null>;
  /** True when any trade or decision (live or backtest) has exactly this symbol; an index lookup per table. */
  hasSymbol(symbol: string): Promise<boolean>;
  /** Streams every matching trade in constant memory (server-side cursor / keyset pages). */
  iterTrades(query: Omit<JournalQuery, 'cursor' | 'limit'>): AsyncIterable<TradeRecord>;
  /**
   * Aggregates the live trades (`runId: null`), one account's live trades (`runId: null` and `accountId`) or one
   * run's trades in the store; see TradeSummary. @throws ValidationError naming `accountId` for an account id
   * that is not one, or given with a run id.
   */
  summarizeTrades(filter: { runId: string | null; accountId?: string }): Promise<TradeSummary>;
  /**
   * Groups the trades matching `filter` by strategy, exit reason, side, entry hour and entry weekday
   * (UTC) in the store; see TradeBreakdown. @throws ValidationError for a bad side or outcome, like `listTrades`.
   */
  breakdownTrades(filter: TradeBreakdownFilter): Promise<TradeBreakdown>;
  /** The database server's current time (ms), for drift checks and health. */
  nowTs(): Promise<number>;
  /**
   * Deletes up to `maxRows` (default 5 000) live decision rows (no run id) with `timeMs < beforeMs`,
   * oldest first; backtest decisions stay with their runs. Call again until it returns less than
   * `maxRows`. @returns how many rows were deleted.
   */
  pruneDecisionsBefore(beforeMs: number, maxRows?: number): Promise<number>;
}

/**
 * The account overview: equity, the equity curve (from snapshots, else rebuilt from daily PnL),
 * the overview metrics, open positions, risk status and the latest decisions. The closed-trade
 * statistics are a database aggregate, cached single-flight with stale-while-revalidate.
 */
import { ValidationError } from '../core/errors';
import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import type { MarginMode, MarketType } from '../core/types';
import type { CandleRepository } from '../ports/candles';
import type { DecisionRecord, JournalRepository, TradeSummary } from '../ports/journal';
import type { EquityPoint } from '../ports/backtest-runs';
import type { SnapshotRepository } from '../ports/snapshots';
import type { MarginTier } from '../execution/margin-tiers';
import type { PaperExchange } from '../execution/paper-exchange';
import type { RiskDesk, RiskStatus } from '../risk/risk-desk';
import type { AccountValueAtRisk } from '../risk/portfolio-history';
import {
  computeOverviewMetrics,
  equityFromDailyPnl,
  withDrawdown,
  type OverviewEquityPoint,
  type OverviewMetrics,
  type OverviewPosition,
} from '../insight/account-overview';

/** The paper account the desk reads: the simulation plus how it is configured. */
export interface PaperAccount {
  exchange: Pick<PaperExchange, 'equity' | 'walletBalance' | 'totals' | 'positionOf' | 'openPositionCount' | 'grossNotional' | 'openOrders' | 'positionAmountSigned' | 'lastPrice'>;
  marketType: MarketType;
  marginMode: MarginMode;
  /** Maintenance-margin tiers of a symbol; default DEFAULT_MARGIN_TIERS. */
  tiers?: (symbol: string) => readonly MarginTier[];
}

/** Default age after which the overview recomputes its trade statistics. */
export const DEFAULT_OVERVIEW_STATS_TTL_MS = 15_000;

/** How many of the account's latest decisions the overview lists. */
const OVERVIEW_DECISIONS = 10;



/** The overview payload. Money in quote currency; NaN (null in JSON) where undefined. */
export interface AccountOverview {
  asOfMs: number;
  equity: number;
  initialBalance: number;
  /** Where the curve came from. */
  equitySource: 'snapshots' | 'trades';
  equityCurve: OverviewEquityPoint[];
  metrics: OverviewMetrics;
  /**
   * When the closed-trade statistics (trade count, win rate, expectancy, exposure, turnover and,
   * with `equitySource: 'trades'`, the curve up to the last finished day) were computed; they are
   * cached for a few seconds, so this may be before `asOfMs`.
   */
  statsAsOfMs: number;
  positions: OverviewPosition[];
  risk: RiskStatus;
  /** Portfolio VaR and ES of the open positions (historical simulation on stored candles); see `AccountValueAtRisk`. */
  valueAtRisk: AccountValueAtRisk;
  decisions: DecisionRecord[];
}

export interface AccountOverviewDeps {
  clock: Clock;
  logger: Logger;
  candles: CandleRepository;
  journal: JournalRepository;
  snapshots?: SnapshotRepository;
  /** The id of the account shown: its sessions' trades and decisions are the ones counted and listed. */
  accountId: string;
  /** The paper account. @throws Error when there is none. */
  account: () => PaperAccount;
  /** The account's risk engine holder. */
  riskDesk: () => Promise<RiskDesk>;
  /** The account's portfolio VaR and ES now (the account book's `valueAtRisk`). */
  valueAtRisk: () => Promise<AccountValueAtRisk>;
  /** How long the trade statistics are reused, ms; default {@link DEFAULT_OVERVIEW_STATS_TTL_MS}; 0 recomputes every call. */
  statsTtlMs?: number;
}

/** Builds the overview. @throws ValidationError for a negative or non-finite `statsTtlMs`. */
export function createAccountOverview(deps: AccountOverviewDeps): { overview(): Promise<AccountOverview> } {
  const account = deps.account;
  const riskDesk = deps.riskDesk;
  const equityNow = () => account().exchange.equity();

  async function knownSymbols(): Promise<string[]> {
    const streams = await deps.candles.summarize();
    const symbols = new Set(streams.map((s) => s.symbol));
    for (const order of account().exchange.openOrders()) symbols.add(order.symbol);
    return [...symbols].sort();
  }

  async function positions(): Promise<OverviewPosition[]> {
    const out: OverviewPosition[] = [];
    for (const symbol of await knownSymbols()) {
      const p = account().exchange.positionOf(symbol);
      if (!p || p.amountSigned === 0) continue;
      out.push({
        symbol,
        side: p.amountSigned > 0 ? 'long' : 'short',
        amount: Math.abs(p.amountSigned),
        entryPrice: p.entryPrice,
        markPrice: p.markPrice,
        unrealizedPnl: p.unrealizedPnl,
        liquidationPrice: p.liquidationPrice,
      });
    }
    return out;
  }

  const statsTtlMs = deps.statsTtlMs ?? DEFAULT_OVERVIEW_STATS_TTL_MS;
  if (!Number.isFinite(statsTtlMs) || statsTtlMs < 0) throw new ValidationError('overviewStatsTtlMs', statsTtlMs, 'expected a duration >= 0 ms');
  /** The last computed live trade summary, with the clock time it was asked at. */
  let last: { atMs: number; summary: TradeSummary } | null = null;
  /** The computation under way, if any (single-flight). */
  let pending: { atMs: number; summary: Promise<TradeSummary> } | null = null;

  function recompute(nowMs: number): { atMs: number; summary: Promise<TradeSummary> } {
    if (pending) return pending;
    const entry = { atMs: nowMs, summary: deps.journal.summarizeTrades({ runId: null, accountId: deps.accountId }) };
    pending = entry;
    entry.summary
      .then(
        (summary) => {
          last = { atMs: entry.atMs, summary };
        },
        // Not kept: the next call computes again (meanwhile callers keep the last summary, if any).
        (error: unknown) => deps.logger.warn({ err: error }, 'computing the overview trade statistics failed'),
      )
      .then(() => {
        if (pending === entry) pending = null;
      });
    return entry;
  }

  /**
   * The live trade summary. Single-flight: callers while it is being computed share one promise.
   * A summary younger than `statsTtlMs` is reused; an older one is still answered at once (stale
   * while revalidate, the payload's `statsAsOfMs` says how old) while a fresh one is computed for the
   * next call, so an overview never waits on the aggregate once it has run. Only the very first call
   * (or the first after failures) waits.
   */
  function liveTradeStats(nowMs: number): { atMs: number; summary: Promise<TradeSummary> } {
    const known = last;
    if (known && nowMs - known.atMs < statsTtlMs && nowMs >= known.atMs) return { atMs: known.atMs, summary: Promise.resolve(known.summary) };
    const entry = recompute(nowMs);
    if (!known) return entry;
    return { atMs: known.atMs, summary: Promise.resolve(known.summary) };
  }

  async function equityHistory(summary: TradeSummary, initialBalance: number, nowMs: number, equity: number): Promise<{ points: EquityPoint[]; source: 'snapshots' | 'trades' }> {
    if (deps.snapshots) {
      const page = await deps.snapshots.list({ limit: 1000 });
      if (page.items.length > 0) {
        const points = page.items.map((s) => ({ timeMs: s.takenAtMs, equity: s.equity })).sort((a, b) => a.timeMs - b.timeMs);
        if (nowMs >= points[points.length - 1].timeMs) points.push({ timeMs: nowMs, equity });
        return { points, source: 'snapshots' };
      }
    }
    return { points: equityFromDailyPnl(summary, initialBalance, nowMs, equity), source: 'trades' };
  }

  async function overview(): Promise<AccountOverview> {
    const acc = account();
    const nowMs = deps.clock.nowMs();
    const equity = equityNow();
    const { initialBalance } = acc.exchange.totals();
    const tradeStats = liveTradeStats(nowMs);
    const [summary, desk, decisions, open, valueAtRisk] = await Promise.all([
      tradeStats.summary,
      riskDesk(),
      deps.journal.listDecisions({ runId: null, accountId: deps.accountId, limit: OVERVIEW_DECISIONS }),
      positions(),
      deps.valueAtRisk(),
    ]);
    const history = await equityHistory(summary, initialBalance, nowMs, equity);
    const curve = withDrawdown(history.points);
    return {
      asOfMs: nowMs,
      equity,
      initialBalance,
      equitySource: history.source,
      equityCurve: curve,
      metrics: computeOverviewMetrics(curve, summary, { initialBalance, nowMs }),
      statsAsOfMs: tradeStats.atMs,
      positions: open,
      risk: desk.status(equity),
      valueAtRisk,
      decisions: decisions.items,
    };
  }

  return { overview };
}

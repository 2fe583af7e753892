/**
 * The trading desk: what the dashboard asks of the engine beyond backtests and jobs. The account
 * overview, chart windows and markers (engine/account/chart.ts), trading settings (strategy group
 * and risk group; engine/account/trading-settings-service.ts), the live risk engine's
 * halt/resume/status, and manual paper orders with their what-if. The engine facade exposes these
 * methods unchanged.
 */
import { NotFoundError, ValidationError } from '../core/errors';
import { parseOrThrow } from '../core/validation';
import type { Clock } from '../core/clock';
import type { DecisionRecord, JournalRepository } from '../ports/journal';
import type { Logger } from '../core/logger';
import type { RiskStateRepository } from '../ports/risk-state';
import type { SettingsRepository } from '../ports/settings';
import type { CandleRepository } from '../ports/candles';
import type { MarketKey } from '../core/types';
import type { Exchange, Order } from '../ports/exchange';
import { DEFAULT_MARGIN_TIERS } from '../execution/margin-tiers';
import type { JournalWriter } from '../ports/journal-writer';
import { loadCandleWindow, loadChartMarkers, type CandleWindow, type ChartMarkers } from '../account/chart';
import type { SnapshotRepository } from '../ports/snapshots';
import { createRiskDesk, type RiskDesk, type RiskStatus } from '../risk/risk-desk';
import type { AccountBook } from '../account/account-book';
import { DEFAULT_ACCOUNT_ID } from '../account/account-config';
import { parseManualOrder, placeManualOrder, whatIfOn } from '../account/manual-order';
import { computeWhatIf, whatIfOrderSchema, type WhatIfOrder, type WhatIfResult } from '../risk/what-if';
import type { StoredTradingSettings } from '../settings/trading-settings';
import { createTradingSettingsService, type UpdateSettingsResult } from '../account/trading-settings-service';
import { createAccountOverview, type AccountOverview, type PaperAccount } from '../account/overview';

export interface TradingDeskDeps {
  clock: Clock;
  logger: Logger;
  candles: CandleRepository;
  journal: JournalRepository;
  journalWriter: JournalWriter;
  riskState: RiskStateRepository;
  /** The venue manual orders go to (the paper exchange). */
  exchange: Exchange;
  account?: PaperAccount;
  settings?: SettingsRepository;
  snapshots?: SnapshotRepository;
  /**
   * The account book: when given, the desk works on the default account (its risk desk, its stored
   * risk limits, its paper exchange, stored after every manual order) instead of `account`/`exchange`.
   */
  accounts?: AccountBook;
  newId: () => string;
  /**
   * How long the overview reuses the live trade summary (a database aggregate over the whole
   * journal), ms; default `DEFAULT_OVERVIEW_STATS_TTL_MS` (engine/account/overview.ts). 0 recomputes on every call
   * (concurrent calls still share one computation).
   */
  overviewStatsTtlMs?: number;
}

/** Result of a manual paper order. */
export interface PaperOrderResult {
  outcome: 'denied' | 'rejected' | 'placed';
  reason: string | null;
  whatIf: WhatIfResult;
  entry: Order | null;
  stop: Order | null;
  decisionId: string;
}

export interface TradingDesk {
  /** The paper account's overview. @throws Error when the engine was built without a paper account. */
  overview(): Promise<AccountOverview>;
  /**
   * Candles of `key` with `fromMs <= openTimeMs < toMs`, aggregated into coarser buckets when more
   * than `maxPoints` (2..2000) would be returned.
   * @throws ValidationError naming the field for a bad range or budget.
   */
  candleWindow(key: MarketKey, fromMs: number, toMs: number, maxPoints: number): Promise<CandleWindow>;
  /** Trades (by exit time) and executed/vetoed/denied decisions of a market in `[fromMs, toMs)`; live rows unless `runId` is given. At most 1000 of each. */
  chartMarkers(query: { key: MarketKey; fromMs: number; toMs: number; runId?: string }): Promise<ChartMarkers>;
  /** Both settings groups (defaults where nothing is stored). */
  getTradingSettings(): Promise<StoredTradingSettings>;
  /**
   * Validates and stores the given groups (all-or-nothing: nothing is written when any field is
   * invalid). A new risk group reconfigures the live risk engine. `actor` is recorded as `updated_by`.
   * Role rules (enforced by the app): strategy = trader, risk = admin.
   */
  updateTradingSettings(update: { strategy?: unknown; risk?: unknown }, actor: string): Promise<UpdateSettingsResult>;
  /** Halt status and breaker headroom at the current equity. */
  riskStatus(): Promise<RiskStatus>;
  /** Halts new entries by hand (persisted). @throws ValidationError for an empty reason. */
  halt(reason: string): Promise<RiskStatus>;
  /** Clears any halt (persisted). */
  resume(): Promise<RiskStatus>;
  /** The live risk engine holder (the live loop evaluates through `riskDesk().engine()`). */
  riskDesk(): Promise<RiskDesk>;
  /** What a manual order would do; nothing is sent. @throws ValidationError naming the field. */
  whatIf(order: unknown): Promise<WhatIfResult>;
  /**
   * Evaluates a manual order like `whatIf` and, when approved, sends a market entry and a
   * reduce-only stop to the paper exchange; journals one decision either way.
   * @throws ValidationError naming the field.
   */
  placePaperOrder(order: unknown, actor: string): Promise<PaperOrderResult>;
}

function parseOrder(input: unknown): WhatIfOrder {
  return parseOrThrow(whatIfOrderSchema, input, { root: 'order' });
}

/** Builds the desk. Nothing is loaded until a method needs it. */
export function createTradingDesk(deps: TradingDeskDeps): TradingDesk {
  let risk: Promise<RiskDesk> | null = null;
  const account = (): PaperAccount => {
    if (!deps.account) throw new Error('this engine was built without a paper account');
    return deps.account;
  };

  const tradingSettings = createTradingSettingsService({
    clock: deps.clock,
    logger: deps.logger,
    settings: deps.settings,
    accounts: deps.accounts,
    riskDesk: () => riskDesk(),
  });
  const getTradingSettings = (): Promise<StoredTradingSettings> => tradingSettings.get();

  const riskDesk = (): Promise<RiskDesk> => {
    if (deps.accounts) return deps.accounts.runtime(DEFAULT_ACCOUNT_ID).then((rt) => rt.risk);
    risk ??= getTradingSettings().then((s) => createRiskDesk(s.risk, { clock: deps.clock, riskState: deps.riskState }));
    risk.catch(() => {
      risk = null; // a failed load (database down) may be retried
    });
    return risk;
  };

  const equityNow = () => account().exchange.equity();

  const overview = createAccountOverview({
    clock: deps.clock,
    logger: deps.logger,
    candles: deps.candles,
    journal: deps.journal,
    snapshots: deps.snapshots,
    account,
    riskDesk: () => riskDesk(),
    statsTtlMs: deps.overviewStatsTtlMs,
  });

  async function whatIfParsed(order: WhatIfOrder): Promise<WhatIfResult> {
    const acc = account();
    const desk = await riskDesk();
    const price = order.price;
    const held = acc.exchange.positionAmountSigned(order.symbol);
    return computeWhatIf(
      order,
      {
        equity: acc.exchange.equity(),
        walletBalance: acc.exchange.walletBalance(),
        marketType: acc.marketType,
        marginMode: acc.marginMode,
        currentPositionNotional: held * price,
        totalOpenNotional: acc.exchange.grossNotional(),
        openPositions: acc.exchange.openPositionCount(),
        tiers: acc.tiers?.(order.symbol) ?? DEFAULT_MARGIN_TIERS,
      },
      desk.copyAt(acc.exchange.equity()),
    );
  }

  return {
    overview: () => overview.overview(),

    candleWindow: (key, fromMs, toMs, maxPoints) => loadCandleWindow(deps.candles, key, fromMs, toMs, maxPoints),

    chartMarkers: (query) => loadChartMarkers({ journal: deps.journal, exchange: deps.account?.exchange ?? null }, query),

    getTradingSettings,

    updateTradingSettings: (update, actor) => tradingSettings.update(update, actor),

    async riskStatus() {
      const desk = await riskDesk();
      return desk.status(equityNow());
    },
    async halt(reason) {
      if (typeof reason !== 'string' || reason.trim() === '') throw new ValidationError('reason', reason, 'give a reason for the halt');
      if (deps.accounts) return deps.accounts.halt(DEFAULT_ACCOUNT_ID, reason);
      const desk = await riskDesk();
      return desk.halt(reason.trim(), equityNow());
    },
    async resume() {
      if (deps.accounts) return deps.accounts.resume(DEFAULT_ACCOUNT_ID);
      const desk = await riskDesk();
      return desk.resume(equityNow());
    },
    riskDesk,

    async whatIf(order) {
      if (deps.accounts) return whatIfOn(await deps.accounts.runtime(DEFAULT_ACCOUNT_ID), parseManualOrder(order));
      return whatIfParsed(parseOrder(order));
    },

    async placePaperOrder(input, actor) {
      if (deps.accounts) {
        const runtime = await deps.accounts.runtime(DEFAULT_ACCOUNT_ID);
        return placeManualOrder(runtime, input, actor, { clock: deps.clock, candles: deps.candles, journal: deps.journalWriter, newId: deps.newId });
      }
      const order = parseOrder(input);
      const runtime = null as { persist(): Promise<void> } | null;
      const exchange: Exchange = deps.exchange;
      const result = await whatIfParsed(order);
      const streams = await deps.candles.summarize();
      const stream = streams.find((s) => s.symbol === order.symbol);
      if (!stream) throw new NotFoundError(`no candles are stored for symbol "${order.symbol}"; import some first`);
      const nowMs = deps.clock.nowMs();
      const decisionId = deps.newId();
      const journal = (outcome: DecisionRecord['outcome'], reason: string, extra: Record<string, unknown>) => {
        deps.journalWriter.recordDecision({
          id: decisionId,
          runId: null,
          exchange: stream.exchange,
          symbol: order.symbol,
          timeframe: stream.timeframe,
          strategy: 'manual',
          timeMs: nowMs,
          outcome,
          side: order.side,
          strength: 1,
          reason,
          inputs: { manual: true, actor, order, stopPrice: result.stopPrice, risk: result.checks, ...extra },
        });
        return deps.journalWriter.flush();
      };
      if (!result.approved) {
        await journal('denied', result.reason ?? 'denied', {});
        return { outcome: 'denied', reason: result.reason, whatIf: result, entry: null, stop: null, decisionId };
      }
      const entry = await exchange.createOrder({
        clientOrderId: `manual-entry-${decisionId}`,
        symbol: order.symbol,
        side: order.side === 'long' ? 'buy' : 'sell',
        type: 'market',
        amount: result.amount,
      });
      if (entry.status === 'rejected') {
        await runtime?.persist();
        const reason = `entry rejected by the exchange: ${entry.reason ?? 'no reason given'}`;
        await journal('denied', reason, {});
        return { outcome: 'rejected', reason, whatIf: result, entry, stop: null, decisionId };
      }
      const stop = await exchange.createOrder({
        clientOrderId: `manual-stop-${decisionId}`,
        symbol: order.symbol,
        side: order.side === 'long' ? 'sell' : 'buy',
        type: 'stop',
        amount: entry.amount,
        stopPrice: result.stopPrice,
        reduceOnly: true,
      });
      await runtime?.persist();
      await journal('executed', `manual ${order.side} by ${actor}`, { entryOrderId: entry.id, stopOrderId: stop.id });
      return { outcome: 'placed', reason: null, whatIf: result, entry, stop, decisionId };
    },
  };
}

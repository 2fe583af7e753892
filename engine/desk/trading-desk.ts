/**
 * The trading desk: what the dashboard asks of the engine beyond backtests and jobs. The account
 * overview, chart windows and markers (engine/account/chart.ts), trading settings (strategy group
 * and risk group; engine/account/trading-settings-service.ts), and the default account's risk
 * halt/resume/status and manual paper orders with their what-if: its one risk desk, its paper
 * exchange and its stored limits, through engine/account/manual-order.ts like the accounts API.
 * The engine facade exposes these methods unchanged.
 */
import { ValidationError } from '../core/errors';
import type { Clock } from '../core/clock';
import type { JournalRepository } from '../ports/journal';
import type { Logger } from '../core/logger';
import type { SettingsRepository } from '../ports/settings';
import type { CandleRepository } from '../ports/candles';
import type { MarketKey } from '../core/types';
import { loadCandleWindow, loadChartMarkers, type CandleWindow, type ChartMarkers } from '../account/chart';
import { loadChartIndicators, type ChartIndicators, type ChartStrategy } from '../account/chart-indicators';
import type { SnapshotRepository } from '../ports/snapshots';
import type { RiskDesk, RiskStatus } from '../risk/risk-desk';
import type { AccountBook } from '../account/account-book';
import { DEFAULT_ACCOUNT_ID } from '../account/account-config';
import { AccountKind } from '../ports/accounts';
import type { ManualOrderResult } from '../account/manual-order';
import type { WhatIfResult } from '../risk/what-if';
import {
  planStrategySave,
  SettingsKey,
  unloadedStoredAdapters,
  unrunnableReason,
  withKeptAdapters,
  type AdapterSettings,
  type StoredTradingSettings,
  type StrategySettings,
} from '../settings/trading-settings';
import type { StrategyCatalog } from '../strategies/strategy-catalog';
import { createTradingSettingsService, type UpdateSettingsResult } from '../account/trading-settings-service';
import { createAccountOverview, type AccountOverview, type PaperAccount } from '../account/overview';

/** What the desk is built from. */
export interface TradingDeskDeps {
  clock: Clock;
  logger: Logger;
  candles: CandleRepository;
  journal: JournalRepository;
  /** The default account's paper exchange as the overview and chart markers read it; without it the overview throws. */
  account?: PaperAccount;
  settings?: SettingsRepository;
  snapshots?: SnapshotRepository;
  /** The account book: the desk works on its default account (risk desk, stored limits, paper exchange, stored after every manual order). */
  accounts: AccountBook;
  /**
   * How long the overview reuses the live trade summary (a database aggregate over the whole
   * journal), ms; default `DEFAULT_OVERVIEW_STATS_TTL_MS` (engine/account/overview.ts). 0 recomputes on every call
   * (concurrent calls still share one computation).
   */
  overviewStatsTtlMs?: number;
  /** The engine's strategy catalog (settings, chart indicators). */
  strategies: StrategyCatalog;
}

/** Result of a manual paper order (the default account's `ManualOrderResult`). */
export type PaperOrderResult = ManualOrderResult;

/** The desk's methods (the engine facade exposes them unchanged). */
export interface TradingDesk {
  /** The paper account's overview. @throws Error when the engine was built without a paper account. */
  overview(): Promise<AccountOverview>;
  /**
   * Candles of `key` with `fromMs <= openTimeMs < toMs`, aggregated into coarser buckets when more
   * than `maxPoints` (2..2000) would be returned.
   * @throws ValidationError naming the field for a bad range or budget.
   */
  candleWindow(key: MarketKey, fromMs: number, toMs: number, maxPoints: number): Promise<CandleWindow>;
  /** Trades and executed/vetoed/denied decisions of a market in `[fromMs, toMs]`: every account's live rows, a run's, or one account's with its working stops (see `loadChartMarkers`). */
  chartMarkers(query: { key: MarketKey; fromMs: number; toMs: number; runId?: string; accountId?: string }): Promise<ChartMarkers>;
  /** Indicator lines the strategies read (with their resolved parameters) over `[fromMs, toMs)`; see `loadChartIndicators`. @throws ValidationError. */
  chartIndicators(query: { key: MarketKey; fromMs: number; toMs: number; strategies: readonly ChartStrategy[] }): Promise<ChartIndicators>;
  /** Both settings groups (defaults where nothing is stored). */
  getTradingSettings(): Promise<StoredTradingSettings>;
  /**
   * Validates and stores the given groups (all-or-nothing: nothing is written when any field is
   * invalid). A new risk group reconfigures the live risk engine. `actor` is recorded as `updated_by`.
   * Role rules (enforced by the app): strategy = trader, risk = admin.
   */
  updateTradingSettings(update: { strategy?: unknown; risk?: unknown }, actor: string): Promise<UpdateSettingsResult>;
  /**
   * The saved strategy group's entries of strategies the catalog cannot build now (a strategy file that failed to load,
   * or was removed), with why: left out of {@link getTradingSettings} (the form lists strategies that load), kept by
   * every save, and one that is enabled refuses runs taking the group until its file loads or it is disabled
   * (`updateTradingSettings` with `adapters.<name>: { enabled: false }`).
   */
  unloadedStrategySettings(): Promise<{ name: string; settings: AdapterSettings; reason: string }[]>;
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

/** Builds the desk. Nothing is loaded until a method needs it. */
export function createTradingDesk(deps: TradingDeskDeps): TradingDesk {
  const account = (): PaperAccount => {
    if (!deps.account) throw new Error('this engine was built without a paper account');
    return deps.account;
  };
  const defaultAccount = () => deps.accounts.runtime(DEFAULT_ACCOUNT_ID);
  const riskDesk = (): Promise<RiskDesk> => defaultAccount().then((rt) => rt.risk);

  const settingsServiceOver = (settings: SettingsRepository | undefined) =>
    createTradingSettingsService({
      clock: deps.clock,
      logger: deps.logger,
      settings,
      accounts: deps.accounts,
      riskDesk,
      strategies: deps.strategies,
    });
  const tradingSettings = settingsServiceOver(deps.settings);

  /**
   * A save of the strategy group keeps the stored entries of strategies the catalog cannot build now (a strategy file
   * that failed to load at this start): written back untouched with the group (or disabled, when the save says
   * `enabled: false` for one), so fixing the file brings the strategy back as it was saved. See `planStrategySave`.
   */
  async function updateTradingSettings(update: { strategy?: unknown; risk?: unknown }, actor: string): Promise<UpdateSettingsResult> {
    const stored = deps.settings;
    if (update.strategy === undefined || !stored) return tradingSettings.update(update, actor);
    const plan = planStrategySave(update.strategy, (await stored.get(SettingsKey.Strategy))?.value, deps.strategies);
    if (Object.keys(plan.keep).length === 0) return tradingSettings.update(update, actor);
    const keeping: SettingsRepository = {
      get: (key) => stored.get(key),
      put: (record) => stored.put(record.key === SettingsKey.Strategy ? { ...record, value: withKeptAdapters(record.value as StrategySettings, plan.keep) } : record),
    };
    return settingsServiceOver(keeping).update({ ...update, strategy: plan.input }, actor);
  }

  const overview = createAccountOverview({
    clock: deps.clock,
    logger: deps.logger,
    candles: deps.candles,
    journal: deps.journal,
    snapshots: deps.snapshots,
    accountId: DEFAULT_ACCOUNT_ID,
    account,
    riskDesk,
    valueAtRisk: () => deps.accounts.valueAtRisk(DEFAULT_ACCOUNT_ID),
    statsTtlMs: deps.overviewStatsTtlMs,
  });

  return {
    overview: () => overview.overview(),

    candleWindow: (key, fromMs, toMs, maxPoints) => loadCandleWindow(deps.candles, key, fromMs, toMs, maxPoints),

    chartMarkers: (query) =>
      loadChartMarkers(
        {
          journal: deps.journal,
          // A venue account's stops rest on the venue: the chart shows a paper account's.
          exchangeOf: async (accountId) => {
            const runtime = await deps.accounts.runtime(accountId);
            return runtime.record().kind === AccountKind.Paper ? runtime.exchange() : null;
          },
        },
        query,
      ),

    chartIndicators: (query) => loadChartIndicators(deps.candles, query, deps.strategies),

    getTradingSettings: () => tradingSettings.get(),

    updateTradingSettings,
    async unloadedStrategySettings() {
      const stored = deps.settings ? (await deps.settings.get(SettingsKey.Strategy))?.value : undefined;
      return Object.entries(unloadedStoredAdapters(stored, deps.strategies)).map(([name, settings]) => ({ name, settings, reason: unrunnableReason(deps.strategies, name) }));
    },

    async riskStatus() {
      const runtime = await defaultAccount();
      return runtime.risk.status(runtime.exchange().equity());
    },
    async halt(reason) {
      if (typeof reason !== 'string' || reason.trim() === '') throw new ValidationError('reason', reason, 'give a reason for the halt');
      return deps.accounts.halt(DEFAULT_ACCOUNT_ID, reason);
    },
    resume: () => deps.accounts.resume(DEFAULT_ACCOUNT_ID),
    riskDesk,

    // The default account's order ticket is the account book's, as every other account's (one owner of manual orders).
    whatIf: (order) => deps.accounts.whatIf(DEFAULT_ACCOUNT_ID, order),

    placePaperOrder: (input, actor) => deps.accounts.placeOrder(DEFAULT_ACCOUNT_ID, input, actor),
  };
}

/**
 * The account book: every trading account, each with its one paper exchange and its one risk engine,
 * built once per process from the account's stored settings and state.
 *
 * Invariants:
 * - One runtime per account per process: every session, manual order, alert and force exit of the
 *   account goes through the same `RiskDesk` (so caps apply across sessions) and the same exchange.
 * - The paper state is stored after every change (`persist`), in one transaction with the risk state,
 *   and restored when the runtime is built: a restart, graceful or not, changes nothing visible.
 * - Halt and resume are written to the risk state store; `syncControl` (called by every session
 *   before each candle) adopts a change another process or request wrote since this runtime last
 *   wrote, so a halt reaches every session of the account in every process by its next candle.
 */
import { NotFoundError, ValidationError } from '../core/errors';
import type { CandleRepository } from '../ports/candles';
import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import type { RiskStateRecord, RiskStateRepository } from '../ports/risk-state';
import type { SettingsRepository } from '../ports/settings';
import { createPaperExchange, type PaperExchange, type PaperTradeClosed } from '../execution/paper-exchange';
import type { Order } from '../ports/exchange';
import type { JournalWriter } from '../ports/journal-writer';
import type { WhatIfResult } from '../risk/what-if';
import { parseManualOrder, placeManualOrder, whatIfOn, type ManualOrderResult } from './manual-order';
import { createRiskDesk, type RiskDesk, type RiskStatus } from '../risk/risk-desk';
import type { TradingCosts } from '../risk/trading-costs';
import { accountTradingConfig, paperConfigOf } from '../trading/run-spec';
import { validateRiskLimits, type FieldErrors, type RiskLimits } from '../settings/trading-settings';
import type { AccountRuntime } from './account-runtime';
import { AccountKind, type AccountRecord, type AccountRepository, type AccountSettings } from '../ports/accounts';
import { DEFAULT_ACCOUNT_ID, parseAccountId, parseAccountSettings, type AccountSettingsInput } from './account-config';
import type { SnapshotPosition } from '../ports/snapshots';

export type { AccountRuntime } from './account-runtime';

/** Settings key of the halt over all accounts. */
export const GLOBAL_HALT_KEY = 'trading.global-halt';

/** The halt over all accounts, as stored. */
export interface GlobalHalt {
  halted: boolean;
  reason: string | null;
  atMs: number;
  by: string | null;
}

/** Account with its live figures: equity, positions with liquidation price, open orders, risk state. */
export interface AccountView {
  account: AccountRecord;
  equity: number;
  walletBalance: number;
  totals: ReturnType<PaperExchange['totals']>;
  positions: (SnapshotPosition & { liquidationPrice: number | null; margin: number })[];
  openOrders: ReturnType<PaperExchange['openOrders']>;
  risk: RiskStatus;
}

/** Result of an account settings update. */
export type UpdateAccountResult = { ok: true; account: AccountRecord } | { ok: false; fieldErrors: FieldErrors };

export interface AccountBook {
  /** Creates the default account from `settings` when it does not exist (idempotent); returns it. */
  ensureDefault(settings: AccountSettingsInput, riskLimits?: Record<string, unknown> | null): Promise<AccountRecord>;
  list(): Promise<AccountRecord[]>;
  /** @throws NotFoundError naming the id. */
  get(id: string): Promise<AccountRecord>;
  /** @throws ValidationError naming the field (bad settings, id taken). */
  create(input: unknown, actor: string): Promise<AccountRecord>;
  /**
   * Updates settings and/or risk limits (all-or-nothing). Market type, quote currency and initial
   * balance are fixed once an account exists; leverage and margin mode change only while flat; the
   * fee model only while no session trades the account. New risk limits reach running sessions at
   * their next order.
   */
  update(id: string, input: { settings?: unknown; risk?: unknown }, actor: string): Promise<UpdateAccountResult>;
  /** The account's risk limits (stored, else the defaults). Sizing costs come from the account's fee model, not from these. */
  riskLimits(id: string): Promise<RiskLimits>;
  /** The runtime of an account (built and restored on first use). @throws NotFoundError. */
  runtime(id: string): Promise<AccountRuntime>;
  view(id: string): Promise<AccountView>;
  /** Halts new entries of one account (idempotent: halting a halted account keeps its first reason). */
  halt(id: string, reason: string): Promise<RiskStatus>;
  /** Clears the account's halt (manual or breaker). */
  resume(id: string): Promise<RiskStatus>;
  /** Halts every account and records the global halt (new accounts start halted while it holds). */
  haltAll(reason: string, actor: string): Promise<{ accounts: RiskStatus[]; halt: GlobalHalt }>;
  /** Clears the global halt and every account's halt. */
  resumeAll(actor: string): Promise<{ accounts: RiskStatus[]; halt: GlobalHalt }>;
  globalHalt(): Promise<GlobalHalt>;
  /**
   * Force exit: closes a position (whole, or `amount` of it) with a reduce-only market order. Exits
   * are never denied (not even while halted) but are journaled as a decision with who asked.
   * A whole close also cancels the symbol's working stops. @throws NotFoundError when no position is
   * open on the symbol, ValidationError for a bad amount.
   */
  closePosition(id: string, request: { symbol: string; amount?: number }, actor: string): Promise<ClosePositionResult>;
  /** A manual order through the account's risk engine (see `placeManualOrder`). */
  placeOrder(id: string, order: unknown, actor: string): Promise<ManualOrderResult>;
  /** What a manual order would do on the account; nothing is sent. */
  whatIf(id: string, order: unknown): Promise<WhatIfResult>;
  /** Stores every runtime's state (shutdown). */
  persistAll(): Promise<void>;
}

/** What a force exit did. */
export interface ClosePositionResult {
  order: Order;
  /** Amount still open after the order (0 after a whole close that filled). */
  remaining: number;
  cancelledStopIds: string[];
  decisionId: string;
}

export interface AccountBookDeps {
  clock: Clock;
  logger: Logger;
  accounts: AccountRepository;
  riskState: RiskStateRepository;
  settings: SettingsRepository;
  candles: Pick<CandleRepository, 'summarize' | 'loadCandles'>;
  /** Risk limits of an account without stored ones (the installation's defaults). */
  defaultRiskLimits(): Promise<RiskLimits>;
  /** Where force exits are journaled (optional in tests). */
  journal?: JournalWriter;
  newId?: () => string;
}

const IMMUTABLE_FIELDS = ['marketType', 'quoteCurrency', 'initialBalance'] as const;

/** Builds the account book. Nothing is loaded until a method needs it. */
export function createAccountBook(deps: AccountBookDeps): AccountBook {
  const runtimes = new Map<string, Promise<AccountRuntime>>();
  let closeSeq = 0;

  async function getRecord(id: string): Promise<AccountRecord> {
    const record = await deps.accounts.get(id);
    if (!record) throw new NotFoundError(`account "${id}" does not exist; list accounts with GET /api/v1/accounts`);
    return record;
  }

  async function limitsOf(record: AccountRecord): Promise<RiskLimits> {
    const fallback = await deps.defaultRiskLimits();
    let limits = fallback;
    if (record.riskLimits) {
      const stored = validateRiskLimits({ ...fallback, ...record.riskLimits });
      if (stored.ok) limits = stored.value;
      else deps.logger.warn({ account: record.id, fieldErrors: stored.fieldErrors }, 'stored risk limits of the account no longer validate; using the defaults');
    }
    return limits;
  }

  async function buildRuntime(id: string): Promise<AccountRuntime> {
    let record = await getRecord(id);
    const tradeHandlers = new Set<(trade: PaperTradeClosed) => void>();
    const makeExchange = (r: AccountRecord) =>
      createPaperExchange(paperConfigOf(r), { clock: deps.clock, listener: { onTradeClosed: (trade) => tradeHandlers.forEach((handler) => handler(trade)) } });
    let exchange = makeExchange(record);
    const saved = await deps.accounts.loadState(id);
    if (saved) exchange.restoreState(saved);
    let lastSavedJson = saved ? JSON.stringify(saved) : '';
    /** `updatedAtMs` of the risk state this runtime last wrote or adopted. */
    let riskStamp: number | null = null;
    const riskStore: RiskStateRepository = {
      load: (accountId) => deps.riskState.load(accountId),
      async save(state) {
        await deps.riskState.save(state);
        riskStamp = state.updatedAtMs;
      },
    };
    // One cost rule: the risk engine sizes with the fees, spread and slippage the account's paper exchange charges.
    const { risk: riskConfig } = accountTradingConfig({ record, riskLimits: await limitsOf(record) });
    const { costs, ...riskLimits } = riskConfig;
    const risk = await createRiskDesk(riskLimits as RiskLimits, { clock: deps.clock, riskState: riskStore, accountId: id, costs: costs as TradingCosts });
    riskStamp = (await deps.riskState.load(id))?.updatedAtMs ?? null;
    let users = 0;
    let persisting: Promise<void> = Promise.resolve();

    const runtime: AccountRuntime = {
      id,
      record: () => record,
      exchange: () => exchange,
      risk,
      riskStore,
      onTradeClosed(handler) {
        tradeHandlers.add(handler);
        return () => tradeHandlers.delete(handler);
      },
      persist() {
        // Serialised: two sessions of the account finishing candles at once write in order.
        persisting = persisting.catch(() => undefined).then(async () => {
          const state = exchange.exportState();
          const json = JSON.stringify(state);
          if (json === lastSavedJson) return;
          const riskRecord: RiskStateRecord = risk.engine().state();
          // Before the first equity reading the risk state has no day start or peak yet: nothing to store.
          const withRisk = Number.isFinite(riskRecord.dayStartEquity) && Number.isFinite(riskRecord.peakEquity);
          await deps.accounts.saveState(id, state, deps.clock.nowMs(), withRisk ? riskRecord : undefined);
          lastSavedJson = json;
          if (withRisk) riskStamp = riskRecord.updatedAtMs;
        });
        return persisting;
      },
      async syncControl() {
        const stored = await deps.riskState.load(id);
        if (!stored || stored.updatedAtMs === riskStamp) return;
        const local = risk.engine().state();
        riskStamp = stored.updatedAtMs;
        if (stored.halted === local.halted && stored.haltReason === local.haltReason) return;
        risk.engine().restore(stored);
        deps.logger.info({ account: id, halted: stored.halted, reason: stored.haltReason }, stored.halted ? 'account halted elsewhere: entries stop' : 'account resumed elsewhere: entries allowed');
      },
      async ensurePrice(symbol) {
        const streams = (await deps.candles.summarize()).filter((s) => s.symbol === symbol).sort((a, b) => b.lastOpenTimeMs - a.lastOpenTimeMs);
        const stream = streams[0];
        if (!stream) throw new NotFoundError(`no candles are stored for symbol "${symbol}"; import or download some first`);
        const current = exchange.lastPrice(symbol);
        if (Number.isFinite(current)) return { exchange: stream.exchange, timeframe: stream.timeframe, price: current };
        const key = { exchange: stream.exchange, symbol, timeframe: stream.timeframe } as const;
        const last = await deps.candles.loadCandles(key as never, stream.lastOpenTimeMs, stream.lastOpenTimeMs + 1);
        if (last.length === 0) throw new NotFoundError(`no candles are stored for symbol "${symbol}"; import or download some first`);
        exchange.onCandle(symbol, last.openTimeMs[0], last.open[0], last.high[0], last.low[0], last.close[0], last.volume[0]);
        return { exchange: stream.exchange, timeframe: stream.timeframe, price: last.close[0] };
      },
      acquire() {
        users++;
        let released = false;
        return () => {
          if (!released) users--;
          released = true;
        };
      },
    };
    // Internal hooks for `update`: swap settings (and the exchange when the fee model changed).
    hooks.set(id, {
      users: () => users,
      apply(next: AccountRecord, rebuild: boolean) {
        record = next;
        if (rebuild) {
          const state = exchange.exportState();
          const fresh = makeExchange(next);
          fresh.restoreState(state);
          exchange = fresh;
        }
      },
    });
    return runtime;
  }

  const hooks = new Map<string, { users(): number; apply(next: AccountRecord, rebuild: boolean): void }>();

  function runtime(id: string): Promise<AccountRuntime> {
    let entry = runtimes.get(id);
    if (!entry) {
      entry = buildRuntime(id);
      runtimes.set(id, entry);
      entry.catch(() => runtimes.delete(id)); // a failed load (unknown id, database down) may be retried
    }
    return entry;
  }

  async function globalHalt(): Promise<GlobalHalt> {
    const row = await deps.settings.get(GLOBAL_HALT_KEY);
    const value = row?.value as Partial<GlobalHalt> | undefined;
    return value && typeof value === 'object' && value.halted === true
      ? { halted: true, reason: typeof value.reason === 'string' ? value.reason : null, atMs: row!.updatedAtMs, by: row!.updatedBy }
      : { halted: false, reason: null, atMs: row?.updatedAtMs ?? 0, by: row?.updatedBy ?? null };
  }

  const requireReason = (reason: unknown): string => {
    if (typeof reason !== 'string' || reason.trim() === '') throw new ValidationError('reason', reason, 'give a reason (it is shown with the halt and kept in the audit log)');
    return reason.trim();
  };

  async function haltOne(id: string, reason: string): Promise<RiskStatus> {
    const rt = await runtime(id);
    await rt.syncControl();
    const equity = rt.exchange().equity();
    if (rt.risk.engine().isHalted()) return rt.risk.status(equity); // idempotent: the first reason stands
    return rt.risk.halt(reason, equity);
  }

  async function resumeOne(id: string): Promise<RiskStatus> {
    const rt = await runtime(id);
    await rt.syncControl();
    const equity = rt.exchange().equity();
    if (!rt.risk.engine().isHalted()) return rt.risk.status(equity);
    return rt.risk.resume(equity);
  }

  return {
    async ensureDefault(settings, riskLimits = null) {
      const existing = await deps.accounts.get(DEFAULT_ACCOUNT_ID);
      if (existing) return existing;
      const now = deps.clock.nowMs();
      const record: AccountRecord = {
        id: DEFAULT_ACCOUNT_ID,
        kind: AccountKind.Paper,
        settings: parseAccountSettings(settings),
        riskLimits,
        createdAtMs: now,
        updatedAtMs: now,
        updatedBy: null,
      };
      await deps.accounts.insert(record);
      return (await deps.accounts.get(DEFAULT_ACCOUNT_ID)) ?? record;
    },
    list: () => deps.accounts.list(),
    get: (id) => getRecord(id),
    async create(input, actor) {
      if (!input || typeof input !== 'object') throw new ValidationError('account', input, 'expected an object with id and settings');
      const { id: rawId, risk: rawRisk, ...settingsInput } = input as Record<string, unknown>;
      const id = parseAccountId(rawId);
      const settings = parseAccountSettings(settingsInput);
      let riskLimits: Record<string, unknown> | null = null;
      if (rawRisk !== undefined) {
        const checked = validateRiskLimits({ ...(await deps.defaultRiskLimits()), ...(rawRisk as object) });
        if (!checked.ok) {
          const [field, messages] = Object.entries(checked.fieldErrors)[0];
          throw new ValidationError(field, (rawRisk as Record<string, unknown>)[field.replace(/^risk\./, '')], messages[0]);
        }
        riskLimits = checked.value as unknown as Record<string, unknown>;
      }
      const now = deps.clock.nowMs();
      const record: AccountRecord = { id, kind: AccountKind.Paper, settings, riskLimits, createdAtMs: now, updatedAtMs: now, updatedBy: actor };
      if (!(await deps.accounts.insert(record))) throw new ValidationError('id', id, 'an account with this id exists already; pick another id');
      const global = await globalHalt();
      if (global.halted) await haltOne(id, `global: ${global.reason ?? 'halted'}`);
      return record;
    },
    async update(id, input, actor) {
      const current = await getRecord(id);
      const fieldErrors: FieldErrors = {};
      let settings: AccountSettings = current.settings;
      let rebuild = false;
      if (input.settings !== undefined) {
        if (!input.settings || typeof input.settings !== 'object') {
          fieldErrors.settings = ['expected an object of account settings'];
        } else {
          const patch = input.settings as Record<string, unknown>;
          for (const field of IMMUTABLE_FIELDS) {
            if (field in patch && patch[field] !== current.settings[field]) fieldErrors[`settings.${field}`] = [`cannot change once the account exists (was ${JSON.stringify(current.settings[field])}); create a new account instead`];
          }
          try {
            settings = parseAccountSettings({ ...current.settings, ...patch });
          } catch (error) {
            if (!(error instanceof ValidationError)) throw error;
            fieldErrors[`settings.${error.field}`] = [error.message];
          }
          const feeModelChanged = (['makerFeeBps', 'takerFeeBps', 'spreadBps', 'slippageBps', 'maxVolumeShare', 'leverage', 'marginMode'] as const).some(
            (k) => settings[k] !== current.settings[k],
          );
          if (feeModelChanged && Object.keys(fieldErrors).length === 0) {
            const hook = hooks.get(id);
            if (hook && hook.users() > 0) fieldErrors.settings = ['a session trades this account: stop its sessions before changing fees, leverage or margin mode'];
            else if (hook && (settings.leverage !== current.settings.leverage || settings.marginMode !== current.settings.marginMode)) {
              const rt = await runtime(id);
              if (rt.exchange().openPositionCount() > 0) fieldErrors.settings = ['close the open positions before changing leverage or margin mode'];
            }
            rebuild = true;
          }
        }
      }
      let riskLimits = current.riskLimits;
      if (input.risk !== undefined) {
        const checked = validateRiskLimits({ ...(await deps.defaultRiskLimits()), ...(input.risk as object) });
        if (!checked.ok) Object.assign(fieldErrors, checked.fieldErrors);
        else riskLimits = checked.value as unknown as Record<string, unknown>;
      }
      if (input.settings === undefined && input.risk === undefined) fieldErrors['(input)'] = ['nothing to save: give settings and/or risk'];
      if (Object.keys(fieldErrors).length > 0) return { ok: false, fieldErrors };
      const next: AccountRecord = { ...current, settings, riskLimits, updatedAtMs: deps.clock.nowMs(), updatedBy: actor };
      const existing = runtimes.has(id) ? await runtime(id) : null;
      if (existing) {
        const { costs, ...riskLimits } = accountTradingConfig({ record: next, riskLimits: await limitsOf(next) }).risk;
        existing.risk.reconfigure(riskLimits as RiskLimits, costs as TradingCosts); // throws before anything is written if the engine disagrees
      }
      await deps.accounts.update(next);
      hooks.get(id)?.apply(next, rebuild);
      return { ok: true, account: next };
    },
    async riskLimits(id) {
      return limitsOf(await getRecord(id));
    },
    runtime,
    async view(id) {
      const rt = await runtime(id);
      await rt.syncControl();
      const exchange = rt.exchange();
      const positions: AccountView['positions'] = [];
      for (const symbol of new Set(exchange.exportState().symbols.map((s) => s.symbol))) {
        const p = await exchange.fetchPosition(symbol);
        if (!p) continue;
        positions.push({
          symbol,
          side: p.side,
          amount: p.amount,
          entryPrice: p.entryPrice,
          markPrice: p.markPrice,
          unrealizedPnl: p.unrealizedPnl,
          liquidationPrice: Number.isFinite(p.liquidationPrice) ? p.liquidationPrice : null,
          margin: p.margin,
        });
      }
      const equity = exchange.equity();
      return {
        account: rt.record(),
        equity,
        walletBalance: exchange.walletBalance(),
        totals: exchange.totals(),
        positions,
        openOrders: exchange.openOrders(),
        risk: rt.risk.status(equity),
      };
    },
    halt: async (id, reason) => haltOne(id, requireReason(reason)),
    resume: (id) => resumeOne(id),
    async haltAll(reason, actor) {
      const why = requireReason(reason);
      await deps.settings.put({ key: GLOBAL_HALT_KEY, value: { halted: true, reason: why }, updatedAtMs: deps.clock.nowMs(), updatedBy: actor });
      const accounts = [];
      for (const account of await deps.accounts.list()) accounts.push(await haltOne(account.id, `global: ${why}`));
      return { accounts, halt: await globalHalt() };
    },
    async resumeAll(actor) {
      await deps.settings.put({ key: GLOBAL_HALT_KEY, value: { halted: false, reason: null }, updatedAtMs: deps.clock.nowMs(), updatedBy: actor });
      const accounts = [];
      for (const account of await deps.accounts.list()) accounts.push(await resumeOne(account.id));
      return { accounts, halt: await globalHalt() };
    },
    globalHalt,
    async closePosition(id, request, actor) {
      const rt = await runtime(id);
      const symbol = request.symbol;
      if (typeof symbol !== 'string' || symbol === '') throw new ValidationError('symbol', symbol, 'expected a market symbol like BTC/USDT');
      const exchange = rt.exchange();
      const held = exchange.positionAmountSigned(symbol);
      if (held === 0) throw new NotFoundError(`account "${id}" has no open position on "${symbol}"`);
      const open = Math.abs(held);
      const amount = request.amount ?? open;
      if (typeof amount !== 'number' || !Number.isFinite(amount) || amount <= 0) throw new ValidationError('amount', request.amount, 'expected an amount > 0 (omit it to close the whole position)');
      if (amount > open * (1 + 1e-9)) throw new ValidationError('amount', amount, `the position on ${symbol} is ${open}; close at most that`);
      const decisionId = deps.newId ? deps.newId() : `${deps.clock.nowMs()}-${++closeSeq}`;
      const whole = amount >= open * (1 - 1e-9);
      const cancelledStopIds: string[] = [];
      if (whole) {
        for (const o of exchange.openOrders(symbol)) {
          if (o.reduceOnly) {
            await exchange.cancelOrder(o.id, symbol);
            cancelledStopIds.push(o.id);
          }
        }
      }
      const order = await exchange.createOrder({
        clientOrderId: `close-${decisionId}`,
        symbol,
        side: held > 0 ? 'sell' : 'buy',
        type: 'market',
        amount: whole ? open : amount,
        reduceOnly: true,
      });
      await rt.persist();
      const stream = (await deps.candles.summarize()).find((c) => c.symbol === symbol);
      deps.journal?.recordDecision({
        id: decisionId,
        runId: null,
        exchange: stream?.exchange ?? `paper-${id}`,
        symbol,
        timeframe: stream?.timeframe ?? '1m',
        strategy: 'manual',
        timeMs: deps.clock.nowMs(),
        outcome: order.status === 'rejected' ? 'denied' : 'executed',
        side: 'flat',
        strength: 1,
        reason: order.status === 'rejected' ? `force exit rejected by the exchange: ${order.reason ?? 'no reason given'}` : `force exit by ${actor}${whole ? '' : ` (${amount} of ${open})`}`,
        inputs: { manual: true, forceExit: true, actor, account: id, amount: whole ? open : amount, orderId: order.id, cancelledStopIds },
      });
      await deps.journal?.flush();
      return { order, remaining: Math.abs(exchange.positionAmountSigned(symbol)), cancelledStopIds, decisionId };
    },
    async placeOrder(id, order, actor) {
      const rt = await runtime(id);
      if (!deps.journal) throw new Error('this account book was built without a journal');
      let seq = 0;
      return placeManualOrder(rt, order, actor, { clock: deps.clock, candles: deps.candles, journal: deps.journal, newId: deps.newId ?? (() => `${deps.clock.nowMs()}-${++seq}`) });
    },
    async whatIf(id, order) {
      return whatIfOn(await runtime(id), parseManualOrder(order));
    },
    async persistAll() {
      for (const entry of runtimes.values()) {
        const rt = await entry.catch(() => null);
        await rt?.persist();
      }
    },
  };
}

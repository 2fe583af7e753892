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
 * - A session's save of the risk state is a compare-and-set on the halt version this runtime last saw
 *   (`RiskStateRecord.haltVersion`): a halt or resume stored elsewhere in between is never overwritten.
 * - A halt or resume writes the halt fields alone (`saveHalt`): day start and peak are written by the
 *   sessions trading the account, never from another process's possibly stale copy.
 */
import { NotFoundError, ValidationError } from '../core/errors';
import type { CandleRepository } from '../ports/candles';
import type { Clock } from '../core/clock';
import { MARKET_SYMBOL, MARKET_SYMBOL_HINT } from '../core/market-symbol';
import type { Logger } from '../core/logger';
import type { RiskStateRecord, RiskStateRepository } from '../ports/risk-state';
import type { SettingsRepository } from '../ports/settings';
import { createPaperExchange, type PaperExchange, type PaperTradeClosed } from '../execution/paper-exchange';
import type { Exchange, Order, Position } from '../ports/exchange';
import type { VenueConnection, VenueConnector, VenueHoldings } from '../ports/venue-link';
import { requireVenue } from '../venues/registry';
import type { JournalWriter } from '../ports/journal-writer';
import type { WhatIfResult } from '../risk/what-if';
import { needsPortfolio, parseManualOrder, placeManualOrder, whatIfOn, type ManualOrderResult } from './manual-order';
import { createRiskDesk, type RiskDesk, type RiskStatus } from '../risk/risk-desk';
import type { TradingCosts } from '../risk/trading-costs';
import { BreakerName } from '../risk/risk-engine';
import { accountTradingConfig, paperConfigOf } from '../trading/run-spec';
import { validateRiskLimits, validateRiskLimitsInput, type FieldErrors, type RiskLimits, type SettingsValidation } from '../settings/trading-settings';
import type { AccountRuntime } from './account-runtime';
import { AccountKind, type AccountRecord, type AccountRepository, type AccountSettings } from '../ports/accounts';
import { DEFAULT_ACCOUNT_ID, parseAccountId, parseAccountSettings, parseVenueAccountInput, type AccountSettingsInput } from './account-config';
import type { SnapshotPosition } from '../ports/snapshots';
import { ControlKind, type AccountCommandBody, type ControlAckStore, type ControlCommand, type ControlOutcome, type ControlPublisher } from '../ports/control-bus';
import { answerOf, forwardAccountCommand } from './account-forwarding';
import { accountValueAtRisk, createCandleWindowCache, loadPortfolioHistory, type AccountValueAtRisk } from '../risk/portfolio-history';
import type { PortfolioRiskInput, PositionExposure } from '../risk/value-at-risk';

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
  openOrders: Order[];
  risk: RiskStatus;
  /** Portfolio VaR and ES of the positions now, at the account's configured confidence and lookback (historical simulation on stored candles). */
  valueAtRisk: AccountValueAtRisk;
  /** Where the figures come from: the stored paper simulation, or the venue (read just now). */
  source: 'paper' | 'venue';
  /** When the figures were read, epoch ms. */
  asOfMs: number;
}

/** A position as the account view shows it (paper or venue): no liquidation price is null. */
function viewPosition(p: Pick<Position, 'symbol' | 'side' | 'amount' | 'entryPrice' | 'markPrice' | 'unrealizedPnl' | 'liquidationPrice' | 'margin'>): AccountView['positions'][number] {
  const { symbol, side, amount, entryPrice, markPrice, unrealizedPnl, margin } = p;
  return { symbol, side, amount, entryPrice, markPrice, unrealizedPnl, liquidationPrice: Number.isFinite(p.liquidationPrice) ? p.liquidationPrice : null, margin };
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
  /** Equity, positions, open orders and risk state; a venue account's are read from its venue. @throws ValidationError when the venue cannot be reached. */
  view(id: string): Promise<AccountView>;
  /**
   * The return history of the account's open positions and of `symbols` (e.g. an order's market) from stored
   * candles, over the account's `varLookbackCandles`, for a pre-trade VaR / ES check; null when they share no
   * stored timeframe. A paper account reads its exchange's positions; a venue account the positions `exposures` gives.
   */
  portfolioRisk(id: string, symbols: readonly string[], exposures?: readonly PositionExposure[]): Promise<PortfolioRiskInput | null>;
  /** Portfolio VaR and ES of the account's positions now (a venue account's read from its venue). */
  valueAtRisk(id: string): Promise<AccountValueAtRisk>;
  /** The account's risk state and headroom (a venue account's equity read from its venue, else its last known). Never needs the venue to answer. */
  riskStatus(id: string): Promise<RiskStatus>;
  /** The venue account that trades `venue` (a venue registry id), or null. */
  venueAccountOf(venue: string): Promise<AccountRecord | null>;
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
  /**
   * Re-reads the risk state (halt), settings and limits of the accounts loaded in this process (their `syncControl`), one account or all when
   * `accountId` is null (a control message, or a control bus reconnect); returns the ids read.
   */
  syncLoaded(accountId: string | null): Promise<string[]>;
  /** Reloads an account's settings and risk limits from storage when it is loaded here (another process changed them); false when not loaded. */
  refresh(accountId: string): Promise<boolean>;
  /**
   * Carries out a manual order or force exit another process forwarded (see `AccountBookDeps.holders`) when this
   * process runs sessions of the account: the outcome and JSON answer for the acknowledgement; null when it runs none.
   */
  runCommand(message: { accountId: string; actor: string; command: AccountCommandBody }): Promise<{ outcome: ControlOutcome; detail: string } | null>;
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
  /** Keyed connections to real venues (venue accounts); without it venue accounts are refused. */
  venues?: VenueConnector;
  /** Where force exits are journaled (optional in tests). */
  journal?: JournalWriter;
  newId?: () => string;
  /**
   * The control bus: after a halt, resume or settings change is stored, other processes are told to
   * re-read it at once (without it they adopt it at their sessions' next candle).
   */
  control?: ControlPublisher;
  /**
   * Who holds an account's sessions (the live session store's `accountHolder`) and the acknowledgements store: a
   * manual order or force exit on a paper account whose sessions run in another process is sent to that process over
   * `control`, which carries it out on its copy (the account's one writer) and answers (engine/account/account-forwarding.ts).
   * Without them every process acts on its own copy, re-read from storage first when no session here uses it.
   */
  holders?: { accountHolder(accountId: string): Promise<string | null> };
  /**
   * This process's session-lease owner: an account whose sessions' lease it holds is traded here even while none of
   * its sessions has taken the account yet (one still starting, or stopping), so a command on it is carried out here,
   * not sent to a bus on which no other process would answer.
   */
  leaseOwner?: string;
  acks?: Pick<ControlAckStore, 'list'>;
  /** How long a forwarded command waits for the holder's answer, ms (default DEFAULT_FORWARD_TIMEOUT_MS). */
  forwardTimeoutMs?: number;
}

const IMMUTABLE_FIELDS = ['marketType', 'quoteCurrency', 'initialBalance'] as const;

/** The settings a paper venue is built with (its fee model, leverage and margin mode): they change only while no session trades the account. */
const FEE_MODEL_FIELDS = ['makerFeeBps', 'takerFeeBps', 'spreadBps', 'slippageBps', 'maxVolumeShare', 'leverage', 'marginMode'] as const;
const feeModelChanged = (a: AccountSettings, b: AccountSettings): boolean => FEE_MODEL_FIELDS.some((k) => a[k] !== b[k]);

/**
 * How long a venue account reuses its keyed read client (balance, positions, open orders) before it
 * connects again, 5 minutes: a new connection re-checks that live trading is still enabled and reads
 * the keys stored now. A failed read drops the client at once. Orders (force exits) always connect afresh.
 */
export const VENUE_READ_CLIENT_MAX_AGE_MS = 5 * 60_000;

/** Account ids an unknown-account message names at most. */
const NAMED_ACCOUNTS = 10;

/**
 * What an operator reads for an account id that does not exist, wherever they named it (API, page, CLI, run spec):
 * the id and the accounts that do exist, so the next try can be right.
 */
export function unknownAccountMessage(id: string, existing: readonly string[]): string {
  if (existing.length === 0) return `account "${id}" does not exist, and no account exists yet: create one first`;
  const named = existing.slice(0, NAMED_ACCOUNTS).map((name) => `"${name}"`).join(', ');
  const more = existing.length > NAMED_ACCOUNTS ? ` and ${existing.length - NAMED_ACCOUNTS} more` : '';
  return `account "${id}" does not exist; the accounts are ${named}${more}`;
}

/** JSON with every object's keys sorted, so two copies of one state compare equal whatever order they were stored in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** What tells two copies of an account record apart: its settings, limits and last change (two saves can share a millisecond). */
function recordVersion(record: AccountRecord): string {
  return canonicalJson({ settings: record.settings, riskLimits: record.riskLimits, updatedAtMs: record.updatedAtMs, updatedBy: record.updatedBy });
}

/** Builds the account book. Nothing is loaded until a method needs it. */
export function createAccountBook(deps: AccountBookDeps): AccountBook {
  const runtimes = new Map<string, Promise<AccountRuntime>>();
  /** Accounts whose new fee model waits for their sessions here to stop (warned once; see `adoptRecord`). */
  const feeModelHeld = new Set<string>();
  /** VaR / ES reads of the account view, the overview and the pre-trade check load each candle window once. */
  const historyCandles = createCandleWindowCache(deps.candles);
  let closeSeq = 0;

  async function getRecord(id: string): Promise<AccountRecord> {
    const record = await deps.accounts.get(id);
    if (!record) throw new NotFoundError(unknownAccountMessage(id, (await deps.accounts.list()).map((account) => account.id)));
    return record;
  }

  /** The limits an operator's `risk` input (the fields it names) makes of `base`; an unknown field is an error. */
  function limitsOver(base: RiskLimits, input: unknown): SettingsValidation<RiskLimits> {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) return { ok: false, fieldErrors: { risk: ['expected an object of risk limits, e.g. {"maxOpenPositions": 3}'] } };
    return validateRiskLimitsInput({ ...base, ...input });
  }

  async function limitsOf(record: Pick<AccountRecord, 'id' | 'riskLimits'>): Promise<RiskLimits> {
    const fallback = await deps.defaultRiskLimits();
    // Read as stored groups are (fields older versions wrote are dropped), over the defaults.
    const stored = validateRiskLimits({ ...fallback, ...record.riskLimits });
    if (stored.ok) return stored.value;
    if (record.riskLimits) deps.logger.warn({ account: record.id, fieldErrors: stored.fieldErrors }, 'stored risk limits of the account no longer validate; using the defaults');
    return fallback;
  }

  /**
   * What every kind of account shares: its one risk desk (limits from the record, costs from its fee
   * model), risk storage that remembers what this runtime wrote, adoption of halts written elsewhere,
   * and the count of sessions using it.
   */
  async function riskParts(record: AccountRecord) {
    const id = record.id;
    /**
     * Halt version of the stored risk state whose halt fields this runtime holds (read at start, written
     * by its desk, adopted by `syncControl`; 0 while nothing is stored). A session's save is a
     * compare-and-set on it: a halt or resume stored by another process since is never overwritten, and
     * the session adopts it at its next candle.
     */
    let haltVersion = 0;
    /** The halt fields stored under `haltVersion` (null while nothing is stored). */
    let knownHalt: string | null = null;
    const haltKey = (state: RiskStateRecord) => JSON.stringify([state.halted, state.haltReason, state.haltedAtMs]);
    const adopt = (stored: RiskStateRecord | null) => {
      haltVersion = stored?.haltVersion ?? 0;
      knownHalt = stored ? haltKey(stored) : null;
    };
    /**
     * After a write that may have changed the stored halt version: adopts the stored version when its halt
     * fields are the ones written (else another write came in between, and `syncControl` adopts it).
     */
    const afterWrite = async (written: RiskStateRecord) => {
      if (haltKey(written) === knownHalt) return; // same halt fields: the version did not move
      const stored = await deps.riskState.load(id);
      if (stored && haltKey(stored) === haltKey(written)) adopt(stored);
    };
    const sessionSave = async (state: RiskStateRecord) => {
      await deps.riskState.save({ ...state, haltVersion });
      await afterWrite(state);
    };
    /** A halt or resume: the halt fields alone, always stored (the day start and peak are the sessions'). */
    const haltSave = async (state: RiskStateRecord) => {
      await deps.riskState.saveHalt(state);
      await afterWrite(state);
    };
    const riskStore: RiskStateRepository = { load: (accountId) => deps.riskState.load(accountId), save: sessionSave, saveHalt: haltSave };
    // The desk's store: its halt and resume are the control path. In a web process the desk's day start
    // and peak are a stale copy: only the halt fields are written.
    const controlStore: RiskStateRepository = {
      async load(accountId) {
        const stored = await deps.riskState.load(accountId);
        adopt(stored);
        return stored;
      },
      save: haltSave,
      saveHalt: haltSave,
    };
    // One cost rule: the risk engine sizes with the fees, spread and slippage the account's exchange charges.
    const { risk: riskConfig } = accountTradingConfig({ record, riskLimits: await limitsOf(record) });
    const { costs, ...riskLimits } = riskConfig;
    const risk = await createRiskDesk(riskLimits as RiskLimits, { clock: deps.clock, riskState: controlStore, accountId: id, costs: costs as TradingCosts });
    let users = 0;
    return {
      risk,
      riskStore,
      /** The risk state to store with the paper state: a compare-and-set on the halt version this runtime holds. */
      fencedState: (): RiskStateRecord => ({ ...risk.engine().state(), haltVersion }),
      afterWrite,
      users: () => users,
      async syncControl() {
        const stored = await deps.riskState.load(id);
        if (!stored || (stored.haltVersion ?? 0) === haltVersion) return;
        const local = risk.engine().state();
        adopt(stored);
        if (stored.halted === local.halted && stored.haltReason === local.haltReason) return;
        // Only the halt is adopted: day start and peak stay this runtime's (a control write leaves them as
        // the sessions stored them). A resume re-bases them to the latest equity, as a local resume does.
        if (stored.halted) risk.engine().restore({ ...local, halted: true, haltReason: stored.haltReason, haltedAtMs: stored.haltedAtMs });
        else risk.engine().resume();
        deps.logger.info({ account: id, halted: stored.halted, reason: stored.haltReason }, stored.halted ? 'account halted elsewhere: entries stop' : 'account resumed elsewhere: entries allowed');
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
  }

  async function buildRuntime(id: string): Promise<AccountRuntime> {
    const record = await getRecord(id);
    return record.kind === AccountKind.Venue ? buildVenueRuntime(record) : buildPaperRuntime(record);
  }

  /**
   * The one keyed client a venue account reads its venue with (view and equity), opened on first use
   * and reused: a ccxt client per read would load the venue's markets on every page view. A failed
   * read, a settings change or VENUE_READ_CLIENT_MAX_AGE_MS drop it; the next read connects again.
   */
  function venueReader(getRecord: () => AccountRecord) {
    let current: { connection: Promise<VenueConnection>; openedAtMs: number } | null = null;
    const drop = () => {
      const stale = current;
      current = null;
      void stale?.connection.then((c) => c.close()).catch(() => undefined);
    };
    return {
      /** Runs `read` on the shared client; drops the client when the read (or the connection) fails. */
      async read<T>(read: (connection: VenueConnection) => Promise<T>): Promise<T> {
        if (current && deps.clock.nowMs() - current.openedAtMs >= VENUE_READ_CLIENT_MAX_AGE_MS) drop();
        if (!current) current = { connection: connect(getRecord()), openedAtMs: deps.clock.nowMs() };
        const mine = current;
        try {
          return await read(await mine.connection);
        } catch (error) {
          if (current === mine) drop();
          throw error;
        }
      },
      drop,
    };
  }

  /** A venue account: no simulated exchange; the venue holds wallet, positions and orders. */
  async function buildVenueRuntime(initial: AccountRecord): Promise<AccountRuntime> {
    const id = initial.id;
    let record = initial;
    const shared = await riskParts(record);
    const { risk } = shared;
    /** Equity as last read from the venue (NaN before the first read). */
    let lastEquity = Number.NaN;
    let lastSavedJson = '';
    const reader = venueReader(() => record);
    venueReaders.set(id, reader);
    const notPaper = (what: string) =>
      new ValidationError('accountId', id, `account "${id}" is the venue account of "${record.venue}": ${what}`);
    const runtime: AccountRuntime = {
      id,
      record: () => record,
      exchange: () => {
        throw notPaper('it has no simulated exchange');
      },
      async equity() {
        try {
          lastEquity = (await reader.read((connection) => connection.exchange.fetchBalance())).equity;
        } catch (error) {
          deps.logger.warn({ account: id, err: error }, 'reading the venue balance failed; using the last known equity');
        }
        // Before any read succeeded: the balance when the account was linked.
        return Number.isFinite(lastEquity) ? lastEquity : record.settings.initialBalance;
      },
      risk,
      riskStore: shared.riskStore,
      onTradeClosed: () => () => undefined,
      async persist() {
        // The venue keeps wallet and positions; what is ours is the risk state (day start, peak, halt), which the sessions
        // trading the account own: a copy none of them uses (a force exit in a web process) has nothing of its own to store.
        const state = risk.engine().state();
        if (shared.users() === 0 || !Number.isFinite(state.dayStartEquity) || !Number.isFinite(state.peakEquity)) return;
        const json = JSON.stringify({ ...state, updatedAtMs: 0 });
        if (json === lastSavedJson) return;
        await shared.riskStore.save(state);
        lastSavedJson = json;
      },
      reloadIfIdle: async () => false,
      syncControl: () => syncWithStore(runtime, shared.syncControl),
      async ensurePrice() {
        throw notPaper('its prices are the venue\'s');
      },
      acquire: shared.acquire,
    };
    hooks.set(id, {
      users: shared.users,
      apply(next: AccountRecord) {
        record = next;
        reader.drop();
      },
    });
    return runtime;
  }

  async function buildPaperRuntime(initial: AccountRecord): Promise<AccountRuntime> {
    const id = initial.id;
    let record = initial;
    const tradeHandlers = new Set<(trade: PaperTradeClosed) => void>();
    const makeExchange = (r: AccountRecord) =>
      createPaperExchange(paperConfigOf(r), { clock: deps.clock, listener: { onTradeClosed: (trade) => tradeHandlers.forEach((handler) => handler(trade)) } });
    let exchange = makeExchange(record);
    const saved = await deps.accounts.loadState(id);
    if (saved) exchange.restoreState(saved);
    let lastSavedJson = saved ? JSON.stringify(saved) : '';
    /** The risk state last stored with it (its time left out), so an unchanged pair is not written again. */
    let lastRiskJson = '';
    const shared = await riskParts(record);
    const { risk } = shared;
    let persisting: Promise<void> = Promise.resolve();

    const runtime: AccountRuntime = {
      id,
      record: () => record,
      exchange: () => exchange,
      equity: async () => exchange.equity(),
      risk,
      riskStore: shared.riskStore,
      onTradeClosed(handler) {
        tradeHandlers.add(handler);
        return () => tradeHandlers.delete(handler);
      },
      persist(fence) {
        // Serialised: two sessions of the account finishing candles at once write in order.
        persisting = persisting.catch(() => undefined).then(async () => {
          const state = exchange.exportState();
          const json = JSON.stringify(state);
          const riskRecord = shared.fencedState();
          // Before the first equity reading the risk state has no day start or peak yet: nothing to store. Nor from a
          // copy no session here trades (a manual order or force exit in a web process): its day start and peak are as
          // it loaded them, maybe long ago, and the sessions trading the account own them (see the module doc).
          const withRisk = shared.users() > 0 && Number.isFinite(riskRecord.dayStartEquity) && Number.isFinite(riskRecord.peakEquity);
          // The sessions leave the risk state to this write: it is stored when it changed, even if the paper state did not.
          const riskJson = withRisk ? JSON.stringify({ ...riskRecord, updatedAtMs: 0 }) : '';
          if (json === lastSavedJson && riskJson === lastRiskJson) return;
          await deps.accounts.saveState(id, state, deps.clock.nowMs(), withRisk ? riskRecord : undefined, fence);
          lastSavedJson = json;
          lastRiskJson = riskJson;
          if (withRisk) await shared.afterWrite(riskRecord);
        });
        return persisting;
      },
      async reloadIfIdle(options) {
        if (shared.users() > 0) return false;
        await persisting.catch(() => undefined);
        const stored = await deps.accounts.loadState(id);
        // Unchanged since this copy read or wrote it (`lastSavedJson`; keys compared sorted, as a database may reorder
        // them): this copy is current, and keeps what it has not stored (the prices of symbols priced for a manual order).
        if (options?.onlyIfChanged && (stored ? canonicalJson(stored) : '') === (lastSavedJson === '' ? '' : canonicalJson(JSON.parse(lastSavedJson)))) return false;
        const fresh = makeExchange(record);
        if (stored) fresh.restoreState(stored);
        exchange = fresh;
        lastSavedJson = stored ? JSON.stringify(stored) : '';
        return true;
      },
      syncControl: () => syncWithStore(runtime, shared.syncControl),
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
      acquire: shared.acquire,
    };
    // Internal hooks for `update`: swap settings (and the exchange when the fee model changed).
    hooks.set(id, {
      users: shared.users,
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

  /** A keyed connection to a venue account's venue. @throws ValidationError naming the account when refused. */
  async function connect(record: AccountRecord): Promise<VenueConnection> {
    if (!deps.venues) throw new ValidationError('accountId', record.id, 'this engine has no venue connector: venue accounts need the server');
    const connected = await deps.venues(record.venue ?? '');
    if (!connected.ok) throw new ValidationError('accountId', record.id, `cannot reach the venue of account "${record.id}": ${connected.reason}`);
    return connected;
  }

  const hooks = new Map<string, { users(): number; apply(next: AccountRecord, rebuild: boolean): void }>();
  /** The read client of each venue account runtime, by account id. */
  const venueReaders = new Map<string, ReturnType<typeof venueReader>>();

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

  /** Tells other processes; the state is stored already, so a failed send only delays them (logged). */
  async function announce(command: ControlCommand): Promise<void> {
    if (!deps.control) return;
    try {
      await deps.control.publish(command);
    } catch (error) {
      deps.logger.warn({ err: error, command: command.kind }, 'control bus: sending failed; other processes adopt the change at their next candle');
    }
  }

  async function haltOne(id: string, reason: string): Promise<RiskStatus> {
    const rt = await runtime(id);
    await rt.syncControl();
    const equity = await rt.equity();
    const engine = rt.risk.engine();
    // Idempotent: the first reason stands, unless the account is halted only by its daily-loss breaker, which lifts itself
    // at the next UTC day: the operator's halt replaces it, so it holds until the operator resumes.
    if (engine.isHalted() && !engine.state().haltReason?.startsWith(BreakerName.DailyLoss)) return rt.risk.status(equity);
    return rt.risk.halt(reason, equity);
  }

  async function resumeOne(id: string): Promise<RiskStatus> {
    const rt = await runtime(id);
    await rt.syncControl();
    const equity = await rt.equity();
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
      const { id: rawId, risk: rawRisk, kind: rawKind, ...settingsInput } = input as Record<string, unknown>;
      const id = parseAccountId(rawId);
      if (rawKind !== undefined && rawKind !== AccountKind.Paper && rawKind !== AccountKind.Venue) {
        throw new ValidationError('kind', rawKind, 'expected "paper" or "venue"');
      }
      const kind: AccountKind = rawKind === AccountKind.Venue ? AccountKind.Venue : AccountKind.Paper;
      const { settings, venue } = kind === AccountKind.Venue ? await linkVenue(id, { kind, ...settingsInput }) : { settings: parseAccountSettings(settingsInput), venue: undefined };
      let riskLimits: Record<string, unknown> | null = null;
      if (rawRisk !== undefined) {
        const checked = limitsOver(await limitsOf({ id, riskLimits: null }), rawRisk);
        if (!checked.ok) {
          const [field, messages] = Object.entries(checked.fieldErrors)[0];
          throw new ValidationError(field, field === 'risk' ? rawRisk : (rawRisk as Record<string, unknown>)[field.replace(/^risk\./, '')], messages[0]);
        }
        riskLimits = checked.value as unknown as Record<string, unknown>;
      }
      const now = deps.clock.nowMs();
      const record: AccountRecord = { id, kind, ...(venue ? { venue } : {}), settings, riskLimits, createdAtMs: now, updatedAtMs: now, updatedBy: actor };
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
          if (feeModelChanged(settings, current.settings) && Object.keys(fieldErrors).length === 0) {
            const hook = hooks.get(id);
            // Sessions here, or in another process (the one holding the account's session leases).
            const holder = hook && hook.users() > 0 ? 'this process' : await deps.holders?.accountHolder(id);
            if (holder) fieldErrors.settings = [`a session trades this account (in ${holder}): stop its sessions before changing fees, leverage or margin mode`];
            else if (current.kind === AccountKind.Paper && (settings.leverage !== current.settings.leverage || settings.marginMode !== current.settings.marginMode)) {
              // The positions as stored now (another process may have traded the account since this one loaded it).
              const rt = await runtime(id);
              await freshen(rt);
              if (rt.exchange().openPositionCount() > 0) fieldErrors.settings = ['close the open positions before changing leverage or margin mode'];
            }
            rebuild = true;
          }
        }
      }
      let riskLimits = current.riskLimits;
      if (input.risk !== undefined) {
        // Over the account's own limits: a save names the limits it changes, and the others stay as they are.
        const checked = limitsOver(await limitsOf(current), input.risk);
        if (!checked.ok) Object.assign(fieldErrors, checked.fieldErrors);
        else riskLimits = checked.value as unknown as Record<string, unknown>;
      }
      if (input.settings === undefined && input.risk === undefined) fieldErrors['(input)'] = ['nothing to save: give settings and/or risk'];
      if (Object.keys(fieldErrors).length > 0) return { ok: false, fieldErrors };
      const next: AccountRecord = { ...current, settings, riskLimits, updatedAtMs: deps.clock.nowMs(), updatedBy: actor };
      const existing = runtimes.has(id) ? await runtime(id) : null;
      let swapLimits: (() => void) | null = null;
      if (existing) {
        const { costs, ...riskLimits } = accountTradingConfig({ record: next, riskLimits: await limitsOf(next) }).risk;
        // Checked before anything is written (throws if the engine disagrees); swapped in once stored, so a failed
        // write leaves this process's sessions on the limits still stored.
        swapLimits = existing.risk.prepare(riskLimits as RiskLimits, costs as TradingCosts);
      }
      await deps.accounts.update(next);
      swapLimits?.();
      hooks.get(id)?.apply(next, rebuild);
      await announce({ kind: ControlKind.SettingsChanged, accountId: id });
      return { ok: true, account: next };
    },
    async riskLimits(id) {
      return limitsOf(await getRecord(id));
    },
    runtime,
    async view(id) {
      const rt = await runtime(id);
      await freshen(rt);
      await rt.syncControl();
      if (rt.record().kind === AccountKind.Venue) return venueView(rt);
      const exchange = rt.exchange();
      const positions: AccountView['positions'] = [];
      for (const symbol of exchange.openPositionSymbols()) {
        const p = await exchange.fetchPosition(symbol);
        if (!p) continue;
        positions.push(viewPosition({ ...p, symbol }));
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
        valueAtRisk: await valueAtRiskOf(rt, exposuresOf(positions), equity),
        source: 'paper',
        asOfMs: deps.clock.nowMs(),
      };
    },
    async portfolioRisk(id, symbols, exposures) {
      const rt = await runtime(id);
      if (!exposures) await freshen(rt);
      return portfolioOf(rt, exposures ?? paperExposures(rt.exchange()), symbols);
    },
    async valueAtRisk(id) {
      const rt = await runtime(id);
      await freshen(rt);
      if (rt.record().kind === AccountKind.Venue) return (await venueView(rt)).valueAtRisk;
      const exchange = rt.exchange();
      return valueAtRiskOf(rt, paperExposures(exchange), exchange.equity());
    },
    async riskStatus(id) {
      const rt = await runtime(id);
      await freshen(rt);
      await rt.syncControl();
      return rt.risk.status(await rt.equity());
    },
    async venueAccountOf(venue) {
      return (await deps.accounts.list()).find((a) => a.kind === AccountKind.Venue && a.venue === venue) ?? null;
    },
    async halt(id, reason) {
      const status = await haltOne(id, requireReason(reason));
      await announce({ kind: ControlKind.Halt, accountId: id });
      return status;
    },
    async resume(id) {
      const global = await globalHalt();
      if (global.halted) {
        throw new ValidationError(
          'globalHalt',
          global.reason,
          `every account is halted ("halt all"${global.reason ? `: ${global.reason}` : ''}${global.by ? `, by ${global.by}` : ''}): account "${id}" cannot resume alone; resume all accounts first`,
        );
      }
      const status = await resumeOne(id);
      await announce({ kind: ControlKind.Resume, accountId: id });
      return status;
    },
    async haltAll(reason, actor) {
      const why = requireReason(reason);
      await deps.settings.put({ key: GLOBAL_HALT_KEY, value: { halted: true, reason: why }, updatedAtMs: deps.clock.nowMs(), updatedBy: actor });
      const accounts = [];
      // One account that cannot be loaded (its stored state no longer restores) does not leave the ones after it trading.
      let failed: { id: string; error: unknown } | null = null;
      for (const account of await deps.accounts.list()) {
        try {
          accounts.push(await haltOne(account.id, `global: ${why}`));
        } catch (error) {
          deps.logger.error({ account: account.id, err: error }, 'halt all: this account could not be halted; the others were');
          failed ??= { id: account.id, error };
        }
      }
      await announce({ kind: ControlKind.Halt, accountId: null });
      if (failed) throw failed.error;
      return { accounts, halt: await globalHalt() };
    },
    async resumeAll(actor) {
      await deps.settings.put({ key: GLOBAL_HALT_KEY, value: { halted: false, reason: null }, updatedAtMs: deps.clock.nowMs(), updatedBy: actor });
      const accounts = [];
      for (const account of await deps.accounts.list()) accounts.push(await resumeOne(account.id));
      await announce({ kind: ControlKind.Resume, accountId: null });
      return { accounts, halt: await globalHalt() };
    },
    globalHalt,
    async closePosition(id, request, actor) {
      const rt = await runtime(id);
      const symbol = request.symbol;
      if (typeof symbol !== 'string' || symbol === '') throw new ValidationError('symbol', symbol, 'expected a market symbol like BTC/USDT');
      const holder = await holderElsewhere(rt);
      if (holder !== null) return (await forward(id, holder, actor, { op: 'close', symbol, ...(request.amount === undefined ? {} : { amount: request.amount }) })) as ClosePositionResult;
      await freshen(rt);
      return closePositionHere(rt, symbol, request.amount, actor);
    },
    async placeOrder(id, order, actor) {
      const rt = await runtime(id);
      refuseManualOnVenue(rt);
      const holder = await holderElsewhere(rt);
      if (holder !== null) return (await forward(id, holder, actor, { op: 'order', order })) as ManualOrderResult;
      await freshen(rt);
      return placeOrderHere(rt, order, actor);
    },
    async whatIf(id, order) {
      const rt = await runtime(id);
      refuseManualOnVenue(rt);
      const parsed = parseManualOrder(order);
      await freshen(rt);
      await rt.syncControl();
      return whatIfOn(rt, parsed, needsPortfolio(rt) ? await portfolioOf(rt, paperExposures(rt.exchange()), [parsed.symbol]) : null);
    },
    async runCommand({ accountId, actor, command }) {
      if (!runtimes.has(accountId) || (hooks.get(accountId)?.users() ?? 0) === 0) return null;
      const rt = await runtime(accountId);
      try {
        return answerOf({ result: command.op === 'close' ? await closePositionHere(rt, command.symbol, command.amount, actor) : await placeOrderHere(rt, command.order, actor) });
      } catch (error) {
        return answerOf({ error });
      }
    },
    async persistAll() {
      for (const entry of runtimes.values()) {
        const rt = await entry.catch(() => null);
        await rt?.persist();
      }
    },
    async syncLoaded(accountId) {
      const read: string[] = [];
      for (const [id, entry] of [...runtimes]) {
        if (accountId !== null && id !== accountId) continue;
        const rt = await entry.catch(() => null);
        if (!rt) continue;
        await rt.syncControl();
        read.push(id);
      }
      return read;
    },
    async refresh(id) {
      if (!runtimes.has(id)) return false;
      await adoptRecord(await runtime(id), await getRecord(id));
      return true;
    },
  };

  /** The position and orders of one symbol a force exit works on: the paper exchange's, or the venue's. */
  interface CloseBook {
    /** Signed base amount held (+ long, - short). */
    held(): Promise<number>;
    /** Ids of the symbol's working reduce-only orders (stops), cancelled by a whole close. */
    reduceOnlyOrderIds(): Promise<string[]>;
    readonly exchange: Pick<Exchange, 'createOrder' | 'cancelOrder'>;
    /** Where the journal names the exit (the candle stream of the symbol, else the account). */
    readonly venue: string | null;
  }

  function paperBook(exchange: PaperExchange, symbol: string): CloseBook {
    return {
      held: async () => exchange.positionAmountSigned(symbol),
      reduceOnlyOrderIds: async () => exchange.openOrders(symbol).filter((o) => o.reduceOnly).map((o) => o.id),
      exchange,
      venue: null,
    };
  }

  function venueBook(connection: VenueConnection, symbol: string): CloseBook {
    const holdings = () => connection.holdings([symbol]);
    return {
      async held() {
        const p = (await holdings()).positions.find((x) => x.symbol === symbol && x.amount > 0);
        return p ? (p.side === 'long' ? p.amount : -p.amount) : 0;
      },
      reduceOnlyOrderIds: async () => (await holdings()).openOrders.filter((o) => o.symbol === symbol && o.reduceOnly).map((o) => o.id),
      exchange: connection.exchange,
      venue: connection.exchange.id,
    };
  }

  /** Force exit on a book: exits are never denied, and are journaled with who asked. */
  async function closeOn(rt: AccountRuntime, book: CloseBook, request: { symbol: string; amount?: number }, actor: string): Promise<ClosePositionResult> {
    const id = rt.id;
    const symbol = request.symbol;
    const held = await book.held();
    if (held === 0) {
      // A position can sit under a symbol stored before the symbol rule (`btc/usdt`), so the rule is not asked of a held one.
      if (!MARKET_SYMBOL.test(symbol)) throw new ValidationError('symbol', symbol, `${MARKET_SYMBOL_HINT}; account "${id}" holds no position under this symbol`);
      throw new NotFoundError(`account "${id}" has no open position on "${symbol}"`);
    }
    const open = Math.abs(held);
    const amount = request.amount ?? open;
    if (typeof amount !== 'number' || !Number.isFinite(amount) || amount <= 0) throw new ValidationError('amount', request.amount, 'expected an amount > 0 (omit it to close the whole position)');
    if (amount > open * (1 + 1e-9)) throw new ValidationError('amount', amount, `the position on ${symbol} is ${open}; close at most that`);
    const decisionId = deps.newId ? deps.newId() : `${deps.clock.nowMs()}-${++closeSeq}`;
    const whole = amount >= open * (1 - 1e-9);
    const cancelledStopIds: string[] = [];
    const cancelStops = async () => {
      for (const orderId of await book.reduceOnlyOrderIds()) {
        await book.exchange.cancelOrder(orderId, symbol);
        cancelledStopIds.push(orderId);
      }
    };
    // A venue fills the whole market close: its stops go first, so none can trigger on the way. A paper account fills it
    // up to its volume cap (a share of the last candle's volume): its stops go once the position is flat, so a close
    // filled in part leaves the rest protected by its reduce-only stops, which only ever trade down what is left.
    if (whole && book.venue !== null) await cancelStops();
    const order = await book.exchange.createOrder({
      // Venues cap client ids (Binance: 36 characters): the decision id's first 29 letters and digits keep it unique.
      clientOrderId: `close-${decisionId.replace(/[^A-Za-z0-9]/g, '').slice(0, 29)}`,
      symbol,
      side: held > 0 ? 'sell' : 'buy',
      type: 'market',
      amount: whole ? open : amount,
      reduceOnly: true,
    });
    const remaining = Math.abs(await book.held());
    if (whole && book.venue === null && remaining === 0) await cancelStops();
    await rt.persist();
    const stream = (await deps.candles.summarize()).find((c) => c.symbol === symbol && (book.venue === null || c.exchange === book.venue));
    deps.journal?.recordDecision({
      id: decisionId,
      runId: null,
      accountId: id,
      exchange: book.venue ?? stream?.exchange ?? `paper-${id}`,
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
    return { order, remaining, cancelledStopIds, decisionId };
  }

  /** Signed notionals (+ long, − short) of positions at their marks. */
  function exposuresOf(positions: readonly Pick<SnapshotPosition, 'symbol' | 'side' | 'amount' | 'markPrice'>[]): PositionExposure[] {
    return positions.map((p) => ({ symbol: p.symbol, notional: (p.side === 'long' ? 1 : -1) * p.amount * p.markPrice }));
  }

  /** The paper exchange's open positions as signed notionals at their last prices. */
  function paperExposures(exchange: PaperExchange): PositionExposure[] {
    return exchange.openPositionSymbols().map((symbol) => ({ symbol, notional: exchange.positionAmountSigned(symbol) * exchange.lastPrice(symbol) }));
  }

  /** Return history of the positions' and `symbols`' markets over the account's lookback (a venue account's own exchange's candles). */
  function portfolioOf(rt: AccountRuntime, exposures: readonly PositionExposure[], symbols: readonly string[]): Promise<PortfolioRiskInput | null> {
    const record = rt.record();
    return loadPortfolioHistory(historyCandles, {
      exposures,
      symbols,
      lookbackCandles: rt.risk.engine().config.varLookbackCandles,
      exchange: record.kind === AccountKind.Venue ? (record.venue ?? null) : null,
    });
  }

  async function valueAtRiskOf(rt: AccountRuntime, exposures: PositionExposure[], equity: number): Promise<AccountValueAtRisk> {
    const open = exposures.filter((e) => e.notional !== 0);
    const config = rt.risk.engine().config;
    return accountValueAtRisk(open, open.length === 0 ? null : await portfolioOf(rt, open, []), equity, config);
  }

  /**
   * Makes `next` (the account as stored) the runtime's record: its risk limits, its settings (a new fee model rebuilds
   * a paper venue). Never under a running session (a save is refused while one trades the account; this guards against
   * a race): the limits apply, and the fee model, leverage and margin mode wait until no session here uses the account
   * (the record is adopted at the first sync after that).
   */
  async function adoptRecord(rt: AccountRuntime, next: AccountRecord): Promise<void> {
    const current = rt.record();
    const rebuild = feeModelChanged(next.settings, current.settings);
    const held = rebuild && (hooks.get(rt.id)?.users() ?? 0) > 0;
    // Sized with the costs the venue charges: the new ones, or the current ones while the fee model waits.
    const { costs, ...limits } = accountTradingConfig({ record: held ? { ...next, settings: current.settings } : next, riskLimits: await limitsOf(next) }).risk;
    rt.risk.reconfigure(limits as RiskLimits, costs as TradingCosts);
    if (held) {
      if (!feeModelHeld.has(rt.id)) deps.logger.warn({ account: rt.id }, 'a new fee model, leverage or margin mode was stored while sessions trade the account here: it applies once they stop');
      feeModelHeld.add(rt.id);
      return;
    }
    feeModelHeld.delete(rt.id);
    hooks.get(rt.id)?.apply(next, rebuild);
  }

  /**
   * A runtime's `syncControl`: the halt state (`syncHalt`), then the account's settings and limits when another process
   * saved them since this copy read them. The control bus tells a process at once; this is what makes a lost message
   * (a failed send, a dropped connection) delay a change until the sessions' next candle instead of losing it.
   */
  async function syncWithStore(rt: AccountRuntime, syncHalt: () => Promise<void>): Promise<void> {
    await syncHalt();
    const stored = await deps.accounts.get(rt.id);
    if (!stored || recordVersion(stored) === recordVersion(rt.record())) return;
    await adoptRecord(rt, stored);
    deps.logger.info({ account: rt.id, by: stored.updatedBy }, 'account settings saved elsewhere: adopted');
  }

  /**
   * The process holding the sessions of `rt`'s paper account when it is another one (this process runs none of them
   * and a lease is current), else null. Only with `holders`, `control` and `acks` (a multi-process installation).
   */
  async function holderElsewhere(rt: AccountRuntime): Promise<string | null> {
    if (!deps.holders || !deps.control || !deps.acks || rt.record().kind !== AccountKind.Paper) return null;
    if ((hooks.get(rt.id)?.users() ?? 0) > 0) return null;
    const holder = await deps.holders.accountHolder(rt.id);
    return holder === deps.leaseOwner ? null : holder;
  }

  /** Sends a command to the holder of the account's sessions and returns its answer (see account-forwarding.ts). */
  function forward(id: string, holder: string, actor: string, command: AccountCommandBody): Promise<unknown> {
    return forwardAccountCommand({ control: deps.control!, acks: deps.acks!, timeoutMs: deps.forwardTimeoutMs }, id, holder, actor, command);
  }

  /**
   * A paper account no session of this process uses is re-read from storage before it is read or changed here:
   * another process (a trader that ran its sessions, the CLI, another server) may have changed it since it was loaded.
   */
  async function freshen(rt: AccountRuntime): Promise<void> {
    if (rt.record().kind === AccountKind.Paper) await rt.reloadIfIdle({ onlyIfChanged: true });
  }

  /** The force exit on this process's copy of the account (a venue account's on its venue). */
  async function closePositionHere(rt: AccountRuntime, symbol: string, amount: number | undefined, actor: string): Promise<ClosePositionResult> {
    const connection = rt.record().kind === AccountKind.Venue ? await connect(rt.record()) : null;
    try {
      return await closeOn(rt, connection ? venueBook(connection, symbol) : paperBook(rt.exchange(), symbol), { symbol, amount }, actor);
    } finally {
      await connection?.close();
    }
  }

  /** The manual order on this process's copy of the account. */
  function placeOrderHere(rt: AccountRuntime, order: unknown, actor: string): Promise<ManualOrderResult> {
    if (!deps.journal) throw new Error('this account book was built without a journal');
    let seq = 0;
    return placeManualOrder(rt, order, actor, {
      clock: deps.clock,
      candles: deps.candles,
      journal: deps.journal,
      newId: deps.newId ?? (() => `${deps.clock.nowMs()}-${++seq}`),
      portfolioRisk: (symbol) => portfolioOf(rt, paperExposures(rt.exchange()), [symbol]),
    });
  }

  /** Manual orders go through the paper desk; a venue account trades through its live sessions. */
  function refuseManualOnVenue(rt: AccountRuntime): void {
    const record = rt.record();
    if (record.kind !== AccountKind.Venue) return;
    throw new ValidationError('accountId', rt.id, `account "${rt.id}" is the venue account of "${record.venue}": manual orders are not taken for venue accounts yet; trade it through a live session, close positions with a force exit, or place the order on the venue`);
  }

  /**
   * Links a venue account: the venue must be registered for live trading and reachable with the keys
   * an admin stored (the wallet is read now: its balance becomes the initial balance); one venue
   * account per venue, since the keys, and so the wallet, are per venue.
   */
  async function linkVenue(id: string, input: Record<string, unknown>): Promise<{ settings: AccountSettings; venue: string }> {
    const parsed = parseVenueAccountInput(input);
    const info = requireVenue(parsed.venue, 'venue');
    if (!info.liveTrading) throw new ValidationError('venue', parsed.venue, `${info.label} does not support trading with keys`);
    const taken = (await deps.accounts.list()).find((a) => a.kind === AccountKind.Venue && a.venue === info.id);
    if (taken) throw new ValidationError('venue', parsed.venue, `account "${taken.id}" already trades ${info.label} with its stored keys; a venue has one account`);
    if (!deps.venues) throw new ValidationError('venue', parsed.venue, 'this engine has no venue connector: venue accounts need the server');
    const connected = await deps.venues(info.id);
    if (!connected.ok) throw new ValidationError('venue', parsed.venue, connected.reason);
    let balance: Awaited<ReturnType<Exchange['fetchBalance']>>;
    try {
      balance = await connected.exchange.fetchBalance();
    } catch (error) {
      throw new ValidationError('venue', parsed.venue, `reading the wallet on ${info.label} failed (${error instanceof Error ? error.message : String(error)}); check the stored keys and the venue's status, then try again`);
    } finally {
      await connected.close();
    }
    if (!(balance.total > 0)) throw new ValidationError('venue', parsed.venue, `the ${balance.currency} wallet on ${info.label} holds ${balance.total}; fund it before linking the account`);
    const { kind: _kind, venue: _venue, ...fees } = parsed;
    const settings = parseAccountSettings({ ...fees, marketType: info.marketType, quoteCurrency: balance.currency, initialBalance: balance.total, leverage: info.marketType === 'spot' ? 1 : fees.leverage });
    return { settings, venue: info.id };
  }

  /**
   * A venue account's figures, as its venue reports them: every open position of the account (whatever opened it, on
   * any market), and the open orders of the markets Aethelred has candles of there.
   */
  async function venueView(rt: AccountRuntime): Promise<AccountView> {
    const record = rt.record();
    const symbols = [...new Set((await deps.candles.summarize()).filter((c) => c.exchange === record.venue).map((c) => c.symbol))].sort();
    const reader = venueReaders.get(rt.id);
    if (!reader) throw new Error(`account "${rt.id}" has no venue reader: it was not built as a venue account`);
    const holdings: VenueHoldings = await reader.read(async (connection) => {
      const read = await connection.holdings(symbols);
      // The positions of markets without candles here count too (opened by hand on the venue, or by a stopped session).
      return { ...read, positions: await connection.exchange.fetchOpenPositions() };
    });
    const { balance } = holdings;
    const unrealizedPnl = holdings.positions.reduce((sum, p) => sum + p.unrealizedPnl, 0);
    return {
      account: record,
      equity: balance.equity,
      walletBalance: balance.total,
      totals: {
        initialBalance: record.settings.initialBalance,
        // Deposits and withdrawals at the venue count here too: the venue does not tell them apart.
        realizedPnl: balance.total - record.settings.initialBalance,
        unrealizedPnl,
        fees: holdings.positions.reduce((sum, p) => sum + p.feesPaid, 0),
        funding: holdings.positions.reduce((sum, p) => sum + p.fundingPaid, 0),
        walletBalance: balance.total,
        equity: balance.equity,
      },
      positions: holdings.positions.map(viewPosition),
      openOrders: holdings.openOrders,
      risk: rt.risk.status(balance.equity),
      valueAtRisk: await valueAtRiskOf(rt, exposuresOf(holdings.positions), balance.equity),
      source: 'venue',
      asOfMs: holdings.atMs,
    };
  }
}

/**
 * Starts, stops, lists and resumes live sessions (one per exchange/symbol/timeframe). Sessions run
 * on the PaperExchange (dry run) unless a real venue is provided for the exchange and the request
 * asks for live trading. Session records and checkpoints persist through `LiveSessionStore`, so a
 * restarted server resumes every session that was running, after its last processed candle.
 * The manager owns one market-data feed per exchange: built when the first session of the exchange
 * starts, closed when the last one ends (and on `stopAll`).
 * With a lease config (`SessionLeaseConfig`) several traders share one store: each session runs under
 * one trader's lease, and its writes carry the lease's fencing token (see engine/ports/live-sessions.ts).
 */
import { marketSymbolSchema } from '../core/market-symbol';
import { timeInputSchema } from '../core/time-input';
import { ExitPolicySchema } from '../strategies/exit-policy';
import { z } from 'zod';
import { NotFoundError, StaleLeaseError, ValidationError } from '../core/errors';
import { parseOrThrow } from '../core/validation';
import type { CandleRepository } from '../ports/candles';
import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import type { SettingsRepository } from '../ports/settings';
import { TIMEFRAME_MS, candleColumnsFromRows, symbolMatches, type Candle, type CandleColumns, type MarketKey, type Timeframe } from '../core/types';
import type { AccountBook, AccountRuntime } from '../account/account-book';
import { venueOf } from '../venues/registry';
import { DEFAULT_ACCOUNT_ID, accountIdSchema } from '../account/account-config';
import { AccountKind, type AccountSettings } from '../ports/accounts';
import { loadStoredRunSettings, resolveRunSpec, runDefaults, type RunSpec } from '../trading/run-spec';
import { anyLoopModel, loopModelsRequestSchema, NO_MODELS_SPEC, noModelSource, type LoopModelSource } from '../decision/loop-models';
import type { VetoModel } from '../decision/veto-model';
import { followingVeto } from './session-veto';
import type { Exchange, Order } from '../ports/exchange';
import type { VenueConnector } from '../ports/venue-link';
import { createVenueAccount, type VenueAccount } from './venue-account';
import type { JournalWriter } from '../ports/journal-writer';
import { MAX_FENCING_TOKEN, MAX_SESSION_LEASE_MS, type LiveCheckpointStore, type LiveSessionRecord as StoredLiveSession, type LiveSessionStore as LiveSessionStorePort, type SessionFence } from '../ports/live-sessions';
import type { AccountView, CandleSimulator, ClosedTrade } from '../loop/trading-loop';
import type { EngineEvents } from '../ports/events';
import { createBuiltInCatalog } from '../strategies/built-in-strategies';
import type { StrategyCatalog } from '../strategies/strategy-catalog';
import type { ControlAlert, ControlPublisher } from '../ports/control-bus';
import { ControlKind } from '../ports/control-bus';
import { clientIdPrefixOf, createLiveSession, type CandleFeed, type LiveSession, type LiveSessionState } from './live-session';
import { planVenueReconciliation, ReconcilePolicy } from './venue-reconciliation';
import { parseTimeMs, sessionAccountOf, SessionMode } from './session-window';

/** A stored live session with the run spec it resolved when it started (the port's record bound to `RunSpec`). */
export type LiveSessionRecord = StoredLiveSession<RunSpec>;

/** Session records plus checkpoints (the port bound to `RunSpec`). */
export type LiveSessionStore = LiveSessionStorePort<RunSpec>;

export { SessionMode };

/** Highest replay speed, candles per second. */
export const MAX_REPLAY_SPEED = 100_000;

/** A replay's `from` (engine/core/time-input.ts: dates and zone-less times are UTC; a bare year is refused). */
const timeInput = z.union([z.number().int().nonnegative(), timeInputSchema]);

/** A request's mode: `mode`, else `live` when `liveTrading`, else `paper`. */
const modeOf = (request: { mode?: SessionMode; liveTrading: boolean }): SessionMode => request.mode ?? (request.liveTrading ? SessionMode.Live : SessionMode.Paper);

/** What an operator asks for. */
export const liveSessionRequestSchema = z.object({
  /** The account the session trades (shares its capital and risk engine with the account's other sessions). */
  /**
   * The account the session trades (shares its capital and risk engine with the account's other sessions).
   * Default: `default` (paper) for replay and paper sessions; for live sessions the venue account of `exchange`.
   */
  accountId: accountIdSchema.optional(),
  /** Default: `live` when `liveTrading`, else `paper`. */
  mode: z.enum(['replay', 'paper', 'live']).optional(),
  /** Replay: the first candle to trade (ISO date or epoch ms). */
  from: timeInput.optional(),
  /** Replay: candles per second, or "max" for as fast as the machine goes. Default 50. */
  speed: z.union([z.number().finite().gt(0).max(MAX_REPLAY_SPEED), z.literal('max')]).default(50),
  /** Veto model: "on" follows the deployed intent-veto model (a deploy reaches the session at its next candle); "off" trades without it. */
  veto: z.enum(['on', 'off']).optional(),
  /** Pin the veto to this intent-veto version (kept across deploys); needs veto "on". */
  vetoVersion: z.number().int().positive().optional(),
  /** The regime, volatility and stop-distance models (`deployed` follows deploys, a number pins a version); each off unless given. */
  models: loopModelsRequestSchema.optional(),
  exchange: z.string().min(1),
  symbol: marketSymbolSchema,
  timeframe: z.string().refine((t) => Object.prototype.hasOwnProperty.call(TIMEFRAME_MS, t), { message: `expected one of ${Object.keys(TIMEFRAME_MS).join(', ')}` }),
  /** Default: the enabled adapters of the stored strategy settings. */
  strategies: z.array(z.string()).min(1, 'expected at least one strategy').optional(),
  params: z.record(z.string(), z.unknown()).default({}),
  fusion: z.record(z.string(), z.unknown()).default({}),
  decisionDetail: z.enum(['all', 'signals', 'off']).default('signals'),
  /** Trade on the real venue instead of the paper dry run (needs stored keys and an enabled account). */
  liveTrading: z.boolean().default(false),
  /** Exit policy of every position; default: the first strategy of the session that declares one. */
  exits: ExitPolicySchema.optional(),
  /**
   * Live: what start-up does with foreign open orders on the session's symbol ("adopt": leave them and
   * warn; "cancel": cancel them). The session's own orders are adopted or cancelled either way (see
   * engine/live/venue-reconciliation.ts).
   */
  reconcile: z.enum([ReconcilePolicy.Adopt, ReconcilePolicy.Cancel]).default(ReconcilePolicy.Adopt),
}).superRefine((request, ctx) => {
  // Only a live session finds venue orders at start: elsewhere "cancel" would be silently ignored.
  if (request.reconcile !== ReconcilePolicy.Adopt && modeOf(request) !== SessionMode.Live) {
    ctx.addIssue({ code: 'custom', path: ['reconcile'], message: 'applies to live sessions only: use adopt or mode live' });
  }
});
export type LiveSessionRequest = z.input<typeof liveSessionRequestSchema>;

/**
 * Session ownership by lease (one trader of many on one database). A trader claims sessions stored as
 * running that nobody holds, whose lease expired or whose holder is gone; renews its leases every
 * `renewEveryMs`; and stops a session here when a renewal was refused (another trader claimed it) or has
 * not succeeded by `haltMarginMs` before the lease it holds ends, so it never trades past its lease.
 * Every checkpoint, paper account write and journal write of a session carries the claim's fencing token.
 */
export interface SessionLeaseConfig {
  /** This trader, unique per process start (e.g. host:pid:random); stored as the lease owner. */
  owner: string;
  /** How long a claim or renewal holds the lease, ms (> renewEveryMs + haltMarginMs). */
  leaseMs: number;
  /** How often leases are renewed and unowned sessions claimed, ms. */
  renewEveryMs: number;
  /** A session stops here this long before its lease ends when no renewal got through, ms (> 0). */
  haltMarginMs: number;
  /** Calls `tick` every `intervalMs` until the returned cancel is called (timers; tests tick by hand). */
  every(intervalMs: number, tick: () => void): () => void;
  /** True when the trader that holds a lease is known to be gone (a dead pid on this host): its sessions are taken over at once. */
  isOwnerGone?(owner: string): boolean;
  /**
   * Real elapsed time for the lease deadlines (the store measures leases in real time, whatever a
   * simulated trading clock says); default: the manager's clock.
   */
  clock?: Clock;
}

/** A session's resume failed here: other traders may try at once, this one not before this many ms. */
export const LEASE_RETRY_AFTER_FAILURE_MS = 60_000;

/** What a trader holds, for health and metrics. */
export interface LeaseStatus {
  owner: string;
  /**
   * The sessions this trader holds, with their fencing tokens, when the lease it last got ends by the lease
   * clock (`SessionLeaseConfig.clock`), and `leaseAgeMs`: ms since the last successful claim or renewal was
   * asked for (by the lease clock, at the time of this call; >= 0).
   */
  held: { sessionId: string; token: number; heldUntilMs: number; leaseAgeMs: number }[];
  /** By the lease clock, when the last claim round (after `resumeAll`) finished; null before the first one. */
  lastRoundAtMs: number | null;
  /** The last renewal or claim failure (the database did not answer); null after one succeeds. */
  lastError: string | null;
}

export interface LiveSessionManagerDeps {
  clock: Clock;
  logger: Logger;
  store: LiveSessionStore;
  /** Accounts: each session trades its account's paper exchange through the account's one risk engine. */
  accounts: AccountBook;
  /**
   * Builds public market data for an exchange (ccxt, no keys). Called once per exchange while any
   * session of it runs; the manager calls the feed's `close` when the last such session ends.
   */
  feedFor(exchange: string): CandleFeed;
  /** Candle storage sessions write the closed candles they poll to (so drift reports need no download). */
  candles?: Pick<CandleRepository, 'insertCandles' | 'loadCandles' | 'summarize'>;
  /** A keyed connection to a real venue (live sessions): refused with a reason without stored keys or an admin's enablement. */
  realVenueFor: VenueConnector;
  journal: JournalWriter;
  /** Stored strategy settings (the run spec's stored layer with the account); without it the defaults apply. */
  settings?: Pick<SettingsRepository, 'get'>;
  /**
   * The intent-veto model loaded now, or null when none is. A session with veto "on" asks it at every entry, so a
   * deploy reaches it at its next candle; a new session with veto "on" is refused while it is null, and a resumed
   * one vetoes every entry until a model loads (see `followingVeto`).
   */
  veto: () => VetoModel | null;
  /**
   * Whether an intent-veto model is deployed (stored as active), loaded here or not: with it, a session with veto "on"
   * lets entries through while none is deployed and fails closed only while a deployed one is not loaded; without it,
   * it cannot tell the two apart and fails closed (see `followingVeto`).
   */
  vetoDeployed?: () => Promise<boolean>;
  /** A veto model pinned to one version (sessions with `vetoVersion`); without it pinning is refused. */
  pinnedVeto?: (version: number) => Promise<VetoModel>;
  /** The regime, volatility and stop-distance models a session's `models` option names; without it such sessions are refused. */
  loopModels?: LoopModelSource;
  newId: () => string;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
  events?: EngineEvents;
  /** The engine's strategy catalog (names a session may run); default: the built-ins. */
  strategies?: StrategyCatalog;
  /**
   * The control bus: a stop of a session running in another process, and an outside alert for such a
   * session's market, are sent to it at once (without the bus a stop waits for that session's next candle).
   */
  control?: ControlPublisher;
  /** Ownership by lease (traders sharing one database); without it this process runs every session it starts or finds running. */
  lease?: SessionLeaseConfig;
  /** False (a web process): `start` stores the session for a trader to claim instead of running it here. Default true. */
  runsSessions?: boolean;
  /** A journal whose writes carry a session's fencing token (leases); default: `journal` for every session. */
  journalFor?: (fence: SessionFence) => JournalWriter;
}

export interface LiveSessionManager {
  /** Starts a session (or returns the running one for the same market). @throws ValidationError for bad requests. */
  start(request: unknown): Promise<LiveSessionState>;
  stop(id: string): Promise<LiveSessionState>;
  /** Every stored session, with the in-memory state of running ones. */
  list(): Promise<(LiveSessionRecord & { state: LiveSessionState | null })[]>;
  /**
   * Routes an outside alert to the running session of its market (any timeframe; `BTCUSDT` matches
   * `BTC/USDT`), of its account when it names one. Returns the session id, or null when no such session trades that market.
   */
  routeExternalSignal(signal: ExternalAlertRoute): string | null;
  /** One stored session with the in-memory state when it runs here (like a `list` item); null when unknown. */
  get(id: string): Promise<(LiveSessionRecord & { state: LiveSessionState | null }) | null>;
  /**
   * Like `routeExternalSignal`, and when no session of the market runs here but one runs in another
   * process (its record is running), sends the alert there over the control bus and returns its id.
   */
  routeOrForward(signal: ExternalAlertRoute): Promise<string | null>;
  /** Ids of the sessions running in this process on `accountId` (every one when null). */
  runningHere(accountId: string | null): string[];
  /** Stops a session when it runs in this process (an operator asked elsewhere); false when it does not run here. */
  stopHere(id: string): Promise<boolean>;
  /** Stops every session running here whose stored record asks to stop (`stopping`); returns their ids. */
  stopRequested(): Promise<string[]>;
  /** Hands an alert to the session `id` when it runs here; false when it does not run here or refused it. */
  routeHere(id: string, alert: ControlAlert): boolean;
  /**
   * Resumes sessions stored as running (after a restart). With a lease config: claims those nobody holds
   * (or whose lease expired, or whose holder is gone), then keeps renewing and claiming every
   * `renewEveryMs` until `stopAll`. Returns how many it started now.
   */
  resumeAll(): Promise<number>;
  /** The leases this trader holds (null without a lease config). */
  leaseStatus(): LeaseStatus | null;
  stopAll(): Promise<void>;
}

/**
 * An outside alert to route: its market (`BTCUSDT` matches `BTC/USDT`; any exchange when absent) and, with `accountId`,
 * only that account's session of it (any account's when absent).
 */
export interface ExternalAlertRoute {
  exchange?: string;
  symbol: string;
  side: 'long' | 'short' | 'flat';
  strength: number;
  stopHint: number;
  accountId?: string;
}

/** Candles a replay's feed reads ahead of the one asked for, in one query. */
export const REPLAY_READ_AHEAD_CANDLES = 500;

/**
 * Session ids: `live:<exchange>:<symbol>:<timeframe>` for paper and live sessions of the default account
 * (the id sessions had before accounts, so stored sessions resume under it), else
 * `<mode>:<account>:<exchange>:<symbol>:<timeframe>`.
 */
export function sessionIdOf(m: MarketKey, mode: SessionMode = SessionMode.Paper, accountId: string = DEFAULT_ACCOUNT_ID): string {
  if (mode !== SessionMode.Replay && accountId === DEFAULT_ACCOUNT_ID) return `live:${m.exchange}:${m.symbol}:${m.timeframe}`;
  return `${mode}:${accountId}:${m.exchange}:${m.symbol}:${m.timeframe}`;
}

/** Resolves after `ms` of real time (a macrotask turn when 0) or when the signal aborts. */
/**
 * Sets `symbol`'s margin mode and leverage on a futures venue to the venue account's settings before a live session
 * trades it. A venue takes whole leverages only: a fractional setting is refused naming the field, with what to do.
 */
export async function applyVenueLeverage(exchange: Pick<Exchange, 'setLeverage' | 'setMarginMode'>, symbol: string, settings: Pick<AccountSettings, 'leverage' | 'marginMode'>): Promise<void> {
  if (!Number.isInteger(settings.leverage)) {
    throw new ValidationError('leverage', settings.leverage, `a venue sets whole leverages only: set the venue account's leverage to ${Math.floor(settings.leverage)} or ${Math.ceil(settings.leverage)} on its page`);
  }
  if (!exchange.setLeverage || !exchange.setMarginMode) throw new ValidationError('exchange', symbol, 'this venue client cannot set leverage or margin mode: a live futures session needs one that can');
  await exchange.setMarginMode(symbol, settings.marginMode);
  await exchange.setLeverage(symbol, settings.leverage);
}

function realSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = ms > 0 ? setTimeout(done, ms) : setImmediate(done);
    function done() {
      signal.removeEventListener('abort', done);
      if (ms > 0) clearTimeout(timer as ReturnType<typeof setTimeout>);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function parseRequest(input: unknown) {
  return parseOrThrow(liveSessionRequestSchema, input, { root: 'request' });
}

/**
 * A stored session's request. Sessions stored before a non-live `reconcile: "cancel"` was refused kept
 * it unused: it is dropped so that they still resume.
 */
function parseStoredRequest(config: Record<string, unknown>) {
  const live = modeOf({ mode: config.mode as SessionMode | undefined, liveTrading: config.liveTrading === true }) === SessionMode.Live;
  return parseRequest(live ? config : { ...config, reconcile: undefined });
}

/** Checks a lease config's invariants. @throws ValidationError naming the field. */
function checkLeaseConfig(lease: SessionLeaseConfig): void {
  if (!lease.owner) throw new ValidationError('lease.owner', lease.owner, 'expected a non-empty trader id');
  for (const field of ['leaseMs', 'renewEveryMs', 'haltMarginMs'] as const) {
    if (!Number.isFinite(lease[field]) || lease[field] <= 0) throw new ValidationError(`lease.${field}`, lease[field], 'expected a positive number of ms');
  }
  if (lease.renewEveryMs + lease.haltMarginMs >= lease.leaseMs) {
    throw new ValidationError('lease.leaseMs', lease.leaseMs, `expected more than renewEveryMs + haltMarginMs (${lease.renewEveryMs + lease.haltMarginMs} ms), so a renewal is due before a session must stop`);
  }
}

const ACTIVE_STATUSES = ['running', 'starting', 'reconnecting'];

/** Creates the manager. @throws ValidationError for a bad lease config. */
export function createLiveSessionManager(deps: LiveSessionManagerDeps): LiveSessionManager {
  const strategies = deps.strategies ?? createBuiltInCatalog();
  const lease = deps.lease ?? null;
  if (lease) checkLeaseConfig(lease);
  /** Lease deadlines are measured on this clock. */
  const leaseClock: Clock = lease?.clock ?? deps.clock;
  const running = new Map<string, { session: LiveSession; accountId: string; symbol: string; simulated: boolean; lost: boolean }>();
  /** The last state of each session that ended here by itself (a replay's completion), until it starts again here. */
  const endedHere = new Map<string, LiveSessionState>();
  /** Leases this trader holds: the claim's token and when the lease ends by this process's clock (measured from before the request). */
  const held = new Map<string, { token: number; heldUntilMs: number; renewedAtMs: number }>();
  /** Lease clock time the last claim round finished (see `LeaseStatus.lastRoundAtMs`). */
  let lastRoundAtMs: number | null = null;
  /** Sessions whose resume failed here, with when to try again. */
  const retryAfterMs = new Map<string, number>();
  let lastLeaseError: string | null = null;
  let cancelLeaseTimer: (() => void) | null = null;
  let renewing = false;
  /** Sessions whose stored fencing token is past MAX_FENCING_TOKEN, already logged (never claimed). */
  const refusedTokens = new Set<string>();
  /** Set by `resumeAll`: the lease rounds also claim sessions nobody holds. */
  let claimsFree = false;
  let claiming = false;
  let shuttingDown = false;
  /** Feeds by exchange with the sessions (one token per launch) that use them. */
  const feeds = new Map<string, { feed: CandleFeed; users: Set<object> }>();
  const feedReleases = new WeakMap<LiveSession, () => Promise<void>>();

  async function closeFeed(exchange: string, feed: CandleFeed): Promise<void> {
    try {
      await feed.close?.();
      deps.logger.info({ exchange }, 'closed the market-data feed: no live session uses it');
    } catch (error) {
      deps.logger.warn({ exchange, err: error }, 'closing the market-data feed failed');
    }
  }

  /** The exchange's feed for one session, and an idempotent release that closes it after its last user. */
  function acquireFeed(exchange: string): { feed: CandleFeed; release: () => Promise<void> } {
    let entry = feeds.get(exchange);
    if (!entry) {
      entry = { feed: deps.feedFor(exchange), users: new Set() };
      feeds.set(exchange, entry);
    }
    const token = {};
    const held = entry;
    held.users.add(token);
    let released = false;
    return {
      feed: held.feed,
      async release() {
        if (released) return;
        released = true;
        held.users.delete(token);
        if (held.users.size > 0 || feeds.get(exchange) !== held) return;
        feeds.delete(exchange);
        await closeFeed(exchange, held.feed);
      },
    };
  }

  /**
   * A feed over stored candles, for replays. A replay asks for one candle at a time: the feed reads
   * {@link REPLAY_READ_AHEAD_CANDLES} candles' time ahead in one query and answers from them while the asked
   * range lies inside what it read (candles stored meanwhile inside that range are seen at the next read).
   */
  function storedFeed(market: MarketKey): CandleFeed {
    const store = deps.candles;
    if (!store) throw new ValidationError('mode', SessionMode.Replay, 'this engine has no candle storage to replay from');
    const timeframeMs = TIMEFRAME_MS[market.timeframe];
    /** The candles read with open time in [readFromMs, readToMs). */
    let read: CandleColumns | null = null;
    let readFromMs = 0;
    let readToMs = 0;
    return {
      async fetchOhlcv(_symbol, _timeframe, sinceMs = 0, limit = 500) {
        const toMs = sinceMs + limit * timeframeMs;
        if (read === null || sinceMs < readFromMs || toMs > readToMs) {
          readFromMs = sinceMs;
          readToMs = sinceMs + Math.max(limit, REPLAY_READ_AHEAD_CANDLES) * timeframeMs;
          read = await store.loadCandles(market, readFromMs, readToMs);
        }
        const columns = read;
        const out: Candle[] = [];
        for (let i = 0; i < columns.length; i++) {
          const openTimeMs = columns.openTimeMs[i];
          if (openTimeMs < sinceMs || openTimeMs >= toMs) continue;
          out.push({ openTimeMs, open: columns.open[i], high: columns.high[i], low: columns.low[i], close: columns.close[i], volume: columns.volume[i] });
        }
        return out;
      },
    };
  }

  /** Checks the replay window against stored candles; returns the first candle to trade and the last stored one. */
  async function replayWindow(market: MarketKey, from: string | number | undefined): Promise<{ startMs: number; untilMs: number }> {
    if (from === undefined) throw new ValidationError('from', from, 'a replay session needs a start time (ISO date or epoch ms)');
    const fromMs = parseTimeMs(from);
    const timeframeMs = TIMEFRAME_MS[market.timeframe];
    const stream = (await deps.candles?.summarize())?.find((c) => c.exchange === market.exchange && c.symbol === market.symbol && c.timeframe === market.timeframe);
    if (!stream) {
      throw new ValidationError('symbol', market.symbol, `no candles are stored for ${market.exchange} ${market.symbol} ${market.timeframe}; import or download some first`);
    }
    if (stream.lastOpenTimeMs < fromMs) {
      throw new ValidationError('from', from, `no stored candles of ${market.exchange} ${market.symbol} ${market.timeframe} start at or after it: they cover ${new Date(stream.firstOpenTimeMs).toISOString()} to ${new Date(stream.lastOpenTimeMs).toISOString()}`);
    }
    return { startMs: Math.ceil(fromMs / timeframeMs) * timeframeMs, untilMs: stream.lastOpenTimeMs };
  }

  /** The account a session trades: the one asked for, else `default` (paper) or, live, the venue account of its exchange. */
  async function sessionAccountId(request: ReturnType<typeof parseRequest>, mode: SessionMode): Promise<string> {
    if (request.accountId !== undefined) return request.accountId;
    if (mode !== SessionMode.Live) return DEFAULT_ACCOUNT_ID;
    const account = await deps.accounts.venueAccountOf(request.exchange);
    if (!account) {
      throw new ValidationError('accountId', request.accountId, `a live session trades a venue account and "${request.exchange}" has none: an admin stores its API keys, enables live trading and creates one (POST /api/v1/accounts with kind "venue")`);
    }
    return account.id;
  }

  /**
   * Adopts or cancels the orders a live session finds open on the venue (rules in venue-reconciliation.ts):
   * cancels what the plan says, makes the adopted stop the checkpoint's stop, warns about foreign orders
   * left alone, and journals one `reconcile` decision when any order was found. Writes carry `fence` (the lease's token) when given.
   * @throws the venue's error when a cancel fails (the session does not start; cancels before it stand).
   */
  async function reconcileOrders(id: string, accountId: string, market: MarketKey, exchange: Exchange, openOrders: readonly Order[], policy: ReconcilePolicy, fence: SessionFence | undefined): Promise<void> {
    const checkpoint = await deps.store.load(id);
    const position = checkpoint?.venuePosition ?? null;
    const plan = planVenueReconciliation({ openOrders, symbol: market.symbol, clientIdPrefix: clientIdPrefixOf(id), position, policy });
    const cancelled: { id: string; clientOrderId: string; reason: string }[] = [];
    for (const { order, reason } of plan.cancel) {
      await exchange.cancelOrder(order.id, market.symbol);
      cancelled.push({ id: order.id, clientOrderId: order.clientOrderId, reason });
    }
    const adopted = plan.adoptedStop;
    if (checkpoint && position && adopted && position.stopOrderId !== adopted.id) {
      await deps.store.save({ ...checkpoint, venuePosition: { ...position, stopOrderId: adopted.id }, updatedAtMs: deps.clock.nowMs() }, fence);
    }
    if (plan.foreign.length) {
      deps.logger.warn({ session: id, orders: plan.foreign.map((o) => ({ id: o.id, clientOrderId: o.clientOrderId, side: o.side, type: o.type, amount: o.amount })) }, 'foreign open orders on the session symbol are left on the venue (start with reconcile "cancel" to cancel them)');
    }
    const found = cancelled.length + plan.kept.length + plan.foreign.length + (adopted ? 1 : 0);
    if (found === 0) return;
    // Under a lease the journal write carries the claim's fencing token, like the session's own.
    const journal = fence && deps.journalFor ? deps.journalFor(fence) : deps.journal;
    const describe = (o: Order) => `${o.clientOrderId || o.id}`;
    const parts = [
      adopted ? `adopted stop ${describe(adopted)}` : null,
      plan.kept.length ? `kept ${plan.kept.map(describe).join(', ')}` : null,
      cancelled.length ? `cancelled ${cancelled.map((c) => c.clientOrderId || c.id).join(', ')}` : null,
      plan.foreign.length ? `left foreign ${plan.foreign.map(describe).join(', ')}` : null,
    ].filter((p): p is string => p !== null);
    journal.recordDecision({
      id: deps.newId(),
      runId: null,
      accountId,
      exchange: market.exchange,
      symbol: market.symbol,
      timeframe: market.timeframe,
      strategy: 'reconcile',
      timeMs: deps.clock.nowMs(),
      outcome: cancelled.length || adopted ? 'executed' : 'no_trade',
      side: 'flat',
      strength: 0,
      reason: `start-up reconciliation: ${parts.join('; ')}`,
      inputs: {
        reconcile: policy,
        session: id,
        adoptedStop: adopted ? { id: adopted.id, clientOrderId: adopted.clientOrderId } : null,
        kept: plan.kept.map((o) => ({ id: o.id, clientOrderId: o.clientOrderId })),
        cancelled,
        foreign: plan.foreign.map((o) => ({ id: o.id, clientOrderId: o.clientOrderId })),
      },
    });
    await journal.flush().catch((error: unknown) => deps.logger.error({ session: id, err: error }, 'journaling the start-up reconciliation failed'));
    deps.logger.info({ session: id, adopted: adopted?.id ?? null, cancelled: cancelled.map((c) => c.id), kept: plan.kept.map((o) => o.id), foreign: plan.foreign.map((o) => o.id) }, 'start-up reconciliation done');
  }

  /** A stored session as a state (not running here). */
  function stateOfRecord(record: LiveSessionRecord, status: string = record.status): LiveSessionState {
    return { id: record.id, market: { exchange: record.exchange, symbol: record.symbol, timeframe: record.timeframe as Timeframe }, status: status as LiveSessionState['status'], lastCandleMs: record.lastCandleMs, candlesProcessed: 0, reconnects: 0, lastError: record.lastError };
  }

  /**
   * Claims a session's lease for this trader (taking it over from a holder known to be gone); records
   * what it holds. Returns the fencing token, or null when another trader holds it.
   */
  async function claimLease(record: LiveSessionRecord): Promise<number | null> {
    const config = lease!;
    const holder = record.lease?.owner ?? null;
    const stored = record.lease?.token ?? 0;
    if (!(stored < MAX_FENCING_TOKEN)) {
      // The store refuses it too; said once per session, not every round.
      if (!refusedTokens.has(record.id)) {
        refusedTokens.add(record.id);
        deps.logger.error(
          { session: record.id, holder, token: stored, maxToken: MAX_FENCING_TOKEN },
          'live session not claimed: its fencing token is past the largest a trader compares exactly (a hand edit or a corrupt row); once no trader runs it, reset its lease (fencing_token 0, lease_owner and lease_expires_at_ms null) to let a trader claim it',
        );
      }
      return null;
    }
    const gone = holder !== null && (holder === config.owner || config.isOwnerGone?.(holder) === true);
    const askedAtMs = leaseClock.nowMs();
    const expiresAtMs = record.lease?.expiresAtMs ?? null;
    const farAhead = holder !== null && expiresAtMs !== null && expiresAtMs > askedAtMs + MAX_SESSION_LEASE_MS;
    const token = await deps.store.claim(record.id, config.owner, config.leaseMs, gone ? holder : undefined);
    if (token === null) return null;
    held.set(record.id, { token, heldUntilMs: askedAtMs + config.leaseMs, renewedAtMs: askedAtMs });
    ensureLeaseTimer();
    if (farAhead && !gone) {
      deps.logger.warn(
        { session: record.id, from: holder, expiresAtMs, maxLeaseMs: MAX_SESSION_LEASE_MS, token },
        'reclaimed a live session whose lease ended further ahead than any trader leases (a restored backup, a clock far ahead or a hand edit); a holder still running is fenced off by the new token',
      );
    } else if (gone && holder !== config.owner) deps.logger.warn({ session: record.id, from: holder, token }, 'took over a live session whose trader is gone');
    else deps.logger.info({ session: record.id, owner: config.owner, token }, 'claimed the lease of a live session');
    return token;
  }

  /** Stops a session here without touching its record: its lease is (or is about to be) another trader's. */
  function haltLocally(id: string, reason: string): void {
    held.delete(id);
    const entry = running.get(id);
    if (!entry || entry.lost) return;
    entry.lost = true;
    deps.logger.error({ session: id, reason }, 'live session stopped here: its lease cannot be kept');
    void entry.session.stop().catch((error: unknown) => deps.logger.error({ session: id, err: error }, 'stopping a session whose lease was lost failed'));
  }

  async function launch(request: ReturnType<typeof parseRequest>, resumed?: { spec: RunSpec | null | undefined; token?: number }): Promise<LiveSessionState> {
    const market: MarketKey = { exchange: request.exchange, symbol: request.symbol, timeframe: request.timeframe as Timeframe };
    const mode = modeOf(request);
    if (mode === SessionMode.Live && !request.liveTrading) throw new ValidationError('liveTrading', false, 'a live session trades on the real venue: set liveTrading true (admins only)');
    if (mode !== SessionMode.Live && request.liveTrading) throw new ValidationError('mode', mode, 'liveTrading needs mode "live"');
    const accountId = await sessionAccountId(request, mode);
    const id = sessionIdOf(market, mode, accountId);
    const existing = running.get(id);
    if (existing) return existing.session.state();
    const account: AccountRuntime = await deps.accounts.runtime(accountId);
    const record = account.record();
    const settings = record.settings;
    const venueInfo = venueOf(market.exchange);
    if (mode === SessionMode.Live) {
      // A live session trades the venue's own account: the venue account that wraps its stored keys.
      if (record.kind !== AccountKind.Venue || record.venue !== market.exchange) {
        throw new ValidationError('accountId', accountId, `account "${accountId}" is ${record.kind === AccountKind.Venue ? `the venue account of "${record.venue}"` : 'a paper account'}; a live session on "${market.exchange}" trades that venue's account: give its venue account`);
      }
    } else if (record.kind === AccountKind.Venue) {
      throw new ValidationError('accountId', accountId, `account "${accountId}" is the venue account of "${record.venue}"; ${mode} sessions trade a paper account`);
    } else if (venueInfo && venueInfo.marketType === 'futures' && settings.marketType !== 'futures') {
      // A futures venue's markets need a futures paper account; a spot account cannot hold them (or short).
      throw new ValidationError('accountId', accountId, `account "${accountId}" is a spot account and ${venueInfo.label} trades perpetual futures: use a futures account`);
    }
    const simulated = mode !== SessionMode.Live;
    if (simulated) {
      for (const [otherId, other] of running) {
        if (other.simulated && other.accountId === accountId && other.symbol === market.symbol) {
          throw new ValidationError('symbol', market.symbol, `account "${accountId}" already trades ${market.symbol} in session "${otherId}"; stop it or use another account`);
        }
      }
    }
    const timeframeMs = TIMEFRAME_MS[market.timeframe];
    // --- Run spec: strategies, fusion and veto from the request over the stored strategy settings; risk and
    // paper are the account's (its runtime trades with them). Outside alerts (webhooks) are one more fusion
    // input, weighted like a strategy unless configured.
    // A session resumed after a restart keeps the strategies, fusion and veto it was started with (a restart
    // changes nothing an operator can see); risk and costs always come from the account as it is now.
    const stored = await loadStoredRunSettings(accountId, { settings: deps.settings, accounts: deps.accounts, strategies, logger: deps.logger });
    // A resumed session resolves over the strategies it was started with (what it keeps trading), so a strategy the saved
    // group enables since, which cannot run now, refuses new runs taking the group but not this resume.
    const resolved = resolveRunSpec(
      { strategies: request.strategies ?? resumed?.spec?.strategies, params: request.params, fusion: request.fusion, veto: request.veto === undefined ? undefined : request.veto === 'on', models: request.models, exits: request.exits },
      stored,
      runDefaults('session', timeframeMs),
      strategies,
    );
    // Provenance is what runs now: a strategy file edited since the start shows its new version and hash.
    const spec: RunSpec = resumed?.spec
      ? { ...resolved, strategies: resumed.spec.strategies, params: resumed.spec.params, provenance: resumed.spec.strategies.map((name) => strategies.provenance(name)), fusion: resumed.spec.fusion, veto: resumed.spec.veto, models: resumed.spec.models ?? NO_MODELS_SPEC, exits: resumed.spec.exits ?? null }
      : resolved;
    // The other models load before anything is acquired: a kind with no deployed model is refused here.
    const loopModels = !anyLoopModel(spec.models) ? undefined : deps.loopModels ? await deps.loopModels.load(spec.models, { follow: true }) : await Promise.reject(noModelSource(spec.models));
    // --- end run spec
    const replay = mode === SessionMode.Replay ? await replayWindow(market, request.from) : null;
    // Veto "on" follows deploys. A new session is refused while no intent-veto model is loaded (as a backtest is); a
    // resumed one keeps its veto and vetoes every entry until a model loads, rather than trading without it.
    if (spec.veto && request.vetoVersion === undefined && !resumed && !deps.veto() && (!deps.vetoDeployed || (await deps.vetoDeployed()))) {
      throw new ValidationError(
        'veto',
        'on',
        deps.vetoDeployed
          ? 'the deployed intent-veto model is not loaded in this process (see its log for why); deploy a version that loads on the Models page, or start the session with veto "off"'
          : 'no intent-veto model is deployed; deploy one on the Models page or start the session with veto "off"',
      );
    }
    // --- Lease (traders sharing a database): the session runs here only under this trader's claim, and
    // every checkpoint, account write and journal write carries the claim's fencing token.
    let token: number | null = resumed?.token ?? null;
    /** True when this start stored the session's first record (a failed start then removes it). */
    let insertedNow = false;
    if (lease && token === null) {
      const now = deps.clock.nowMs();
      const fresh: LiveSessionRecord = { id, exchange: market.exchange, symbol: market.symbol, timeframe: market.timeframe, config: { ...request, accountId } as unknown as Record<string, unknown>, status: 'starting', lastCandleMs: null, liveTrading: request.liveTrading, lastError: null, startedAtMs: now, updatedAtMs: now, spec };
      insertedNow = await deps.store.insertIfMissing(fresh);
      const stored = (await deps.store.get(id)) ?? fresh;
      token = await claimLease(stored);
      // Another trader runs it: the stored session is the answer, as for a session running here.
      if (token === null) return stateOfRecord(stored);
    }
    const fence: SessionFence | undefined = token === null ? undefined : { sessionId: id, token };
    const releaseLease = async () => {
      if (token === null || !lease) return;
      if (held.get(id)?.token === token) held.delete(id);
      await deps.store.release(id, lease.owner, token).catch((error: unknown) => deps.logger.warn({ session: id, err: error }, 'releasing the lease failed; it expires on its own'));
    };
    /** A fenced write refused: the session stops here (the loop stops on the error too). */
    const onStale = (error: unknown): never => {
      if (error instanceof StaleLeaseError) haltLocally(id, error.message);
      throw error;
    };
    let venue: { exchange: Exchange; account: AccountView; simulator: CandleSimulator | null };
    let venueAccount: VenueAccount | null = null;
    // Shorts need a futures account (paper), or USD-M on a real venue.
    let allowShort = settings.marketType === 'futures';
    // The keyed venue client (real trading only) is closed when the session ends, once.
    let closeVenue: (() => Promise<void>) | null = null;
    try {
      // A paper account another trader traded since this process loaded it is re-read before the session trades it.
      if (fence) await account.reloadIfIdle();
      if (mode === SessionMode.Live) {
        const real = await deps.realVenueFor(request.exchange);
        if (!real.ok) throw new ValidationError('liveTrading', true, real.reason);
        let closed = false;
        closeVenue = async () => {
          if (closed) return;
          closed = true;
          await real.close().catch((error: unknown) => deps.logger.warn({ session: id, err: error }, 'closing the venue client failed'));
        };
        // Before trading: what does the venue already hold? Logged so an operator sees leftovers.
        const holdings = await real.holdings([market.symbol]).catch(async (error: unknown) => {
          await closeVenue?.();
          throw error;
        });
        deps.logger.info({ session: id, openOrders: holdings.openOrders.length, positions: holdings.positions.length }, 'reconciled with the venue before trading');
        await reconcileOrders(id, accountId, market, real.exchange, holdings.openOrders, request.reconcile, fence).catch(async (error: unknown) => {
          await closeVenue?.();
          throw error;
        });
        // A futures venue opens the session's positions at the account's margin mode and leverage, as the operator set
        // them, not at whatever the symbol was left at on the venue (another app, an earlier setting).
        if (venueInfo?.marketType === 'futures') {
          await applyVenueLeverage(real.exchange, market.symbol, settings).catch(async (error: unknown) => {
            await closeVenue?.();
            throw error;
          });
        }
        // Its risk checks count every open position of the venue account, whatever opened it (see createVenueAccount).
        venueAccount = createVenueAccount(real.exchange);
        venue = { exchange: real.exchange, account: venueAccount, simulator: null };
        allowShort = venueInfo?.allowShort ?? false;
      } else {
        const exchange = account.exchange();
        venue = { exchange, account: exchange, simulator: exchange };
      }
    } catch (error) {
      await releaseLease();
      throw error;
    }
    const feed = replay ? { feed: storedFeed(market), release: async () => undefined } : acquireFeed(market.exchange);
    const releaseAccount = account.acquire();
    let unsubscribe: (() => void) | null = null;
    /** A replay's paper venue, whose orders of this symbol carry the replay's time while it runs (see below). */
    let replayVenue: ReturnType<typeof account.exchange> | null = null;
    const release = async () => {
      unsubscribe?.();
      replayVenue?.useClockFor(market.symbol, null);
      releaseAccount();
      await feed.release();
      await closeVenue?.();
      await releaseLease();
    };
    const checkpoints: LiveCheckpointStore = fence ? { load: (sessionId) => deps.store.load(sessionId), save: (checkpoint) => deps.store.save(checkpoint, fence).catch(onStale) } : deps.store;
    const journal = fence && deps.journalFor ? deps.journalFor(fence) : deps.journal;
    // A replay runs on simulated time: it starts just before its first candle (or after its checkpoint)
    // and each wait advances it, taking 1/speed s of real time per candle ("max": no wait).
    let clock = deps.clock;
    let sleep = deps.sleep;
    if (replay) {
      const checkpoint = await deps.store.load(id);
      let nowMs = checkpoint ? checkpoint.lastCandleMs + timeframeMs : replay.startMs;
      clock = { nowMs: () => nowMs };
      const realMsPerSimMs = request.speed === 'max' ? 0 : 1_000 / (request.speed * timeframeMs);
      sleep = async (ms, signal) => {
        nowMs += ms;
        await realSleep(ms * realMsPerSimMs, signal);
      };
      // Orders fill on the account's paper venue: stamped with the replay's time, the trades carry the replayed candles'
      // times (the decisions do), not the wall-clock time they were simulated at.
      replayVenue = account.exchange();
      replayVenue.useClockFor(market.symbol, clock);
    }
    if (request.vetoVersion !== undefined && !spec.veto) throw new ValidationError('vetoVersion', request.vetoVersion, 'a pinned veto version needs veto "on"');
    if (request.vetoVersion !== undefined && !deps.pinnedVeto) throw new ValidationError('vetoVersion', request.vetoVersion, 'this engine has no model registry to pin a version from');
    const veto = !spec.veto ? null : request.vetoVersion !== undefined ? await deps.pinnedVeto!(request.vetoVersion) : followingVeto(deps.veto, { logger: deps.logger, session: id }, deps.vetoDeployed);
    let session: LiveSession;
    let previous: LiveSessionRecord | null = null;
    try {
      session = createLiveSession(
        {
          id,
          market,
          accountId,
          strategies: spec.strategies.map((name) => ({ name, params: spec.params[name] })),
          fusion: spec.fusion,
          decisionDetail: request.decisionDetail,
          allowShort,
          acceptExternalSignals: true,
          exits: spec.exits ?? null,
          models: spec.models,
          ...(replay ? { untilMs: replay.untilMs, pollIntervalMs: timeframeMs } : {}),
        },
        {
          clock,
          logger: deps.logger,
          feed: feed.feed,
          candles: replay ? null : (deps.candles ?? null),
          exchange: venue.exchange,
          account: venue.account,
          simulator: venue.simulator,
          risk: account.risk.engine(),
          riskState: account.riskStore,
          sharedRisk: true,
          strategies,
          checkpoints,
          journal,
          veto,
          models: loopModels,
          newId: deps.newId,
          sleep,
          random: deps.random,
          events: deps.events,
          // A session's VaR / ES limits see every position of its account, from stored candles: a paper account's
          // positions, a venue account's as its venue reported them before the candle. A replay sees its own market
          // (stored candles would lie ahead of its simulated time).
          portfolioRisk: replay
            ? null
            : simulated
              ? { snapshot: (symbol) => deps.accounts.portfolioRisk(accountId, [symbol]) }
              : venueAccount && { snapshot: (symbol) => deps.accounts.portfolioRisk(accountId, [symbol], venueAccount!.exposures()) },
          onTradeClosedHook: simulated
            ? (handler) => {
                unsubscribe = account.onTradeClosed((t) => {
                  if (t.symbol === market.symbol) handler(t);
                });
              }
            : undefined,
          beforeCandle: async () => {
            if (lease) {
              // Never trade a candle past the lease this trader holds (renewals failing): stop here first.
              const holding = held.get(id);
              if (!holding || holding.token !== token || running.get(id)?.lost) return false;
              if (leaseClock.nowMs() >= holding.heldUntilMs - lease.haltMarginMs) {
                haltLocally(id, `the lease ends within ${lease.haltMarginMs} ms and no renewal got through`);
                return false;
              }
            }
            await account.syncControl();
            const record = await deps.store.get(id);
            return record?.status !== 'stopping';
          },
          // A paper account stores its risk state with its paper state, in one transaction, after every candle.
          accountStoresRisk: simulated,
          afterCandle: async () => {
            if (simulated) await account.persist(fence).catch(onStale);
            if (journal.pending() > 0) await journal.flush();
          },
        },
      );
      const now = deps.clock.nowMs();
      previous = insertedNow ? null : await deps.store.get(id);
      await deps.store.upsert({
        id,
        exchange: market.exchange,
        symbol: market.symbol,
        timeframe: market.timeframe,
        config: { ...request, accountId } as unknown as Record<string, unknown>,
        status: 'starting',
        lastCandleMs: previous?.lastCandleMs ?? null,
        liveTrading: request.liveTrading,
        lastError: null,
        startedAtMs: now,
        updatedAtMs: now,
        spec,
      });
    } catch (error) {
      await release();
      throw error;
    }
    feedReleases.set(session, release);
    running.set(id, { session, accountId, symbol: market.symbol, simulated, lost: false });
    endedHere.delete(id);
    try {
      await session.start();
    } catch (error) {
      running.delete(id);
      await release();
      // A session that never ran leaves nothing behind (no phantom stopped row); one started before keeps its row, stopped with the reason.
      if (previous) {
        const message = error instanceof Error ? error.message : String(error);
        await deps.store.setStatus(id, 'stopped', message, deps.clock.nowMs());
      } else {
        await deps.store.remove(id).catch((removeError: unknown) => deps.logger.error({ session: id, err: removeError }, 'removing the record of a session that failed to start failed'));
      }
      throw error;
    }
    await deps.store.setStatus(id, 'running', null, deps.clock.nowMs());
    void session.done().then(async () => {
      const end = session.state();
      const entry = running.get(id);
      const lost = entry?.session === session && entry.lost;
      if (entry?.session === session) {
        running.delete(id);
        endedHere.set(id, end);
      }
      // Status before the lease is given up, so no other trader resumes a session that ended here. A session
      // stopped by shutdown stays `running` in the store (resumed on the next start or by another trader);
      // one whose lease was lost is the new owner's to record.
      if (!lost && !(shuttingDown && end.status === 'stopped')) await deps.store.setStatus(id, end.status, end.lastError, deps.clock.nowMs()).catch(() => undefined);
      await release();
    });
    deps.logger.info({ session: id, mode, account: accountId, liveTrading: request.liveTrading }, 'live session started');
    return session.state();
  }

  /** Hands an alert to the running session of its market in this process; its id, or null. */
  function routeLocal(signal: ExternalAlertRoute): string | null {
    for (const [id, { session, accountId }] of running) {
      if (signal.accountId !== undefined && accountId !== signal.accountId) continue;
      const { market } = session.state();
      if (symbolMatches(market.symbol, signal.symbol) && (signal.exchange === undefined || market.exchange === signal.exchange)) {
        if (session.pushExternalSignal({ side: signal.side, strength: signal.strength, stopHint: signal.stopHint })) return id;
      }
    }
    return null;
  }

  async function stopOne(id: string): Promise<LiveSessionState> {
    const entry = running.get(id);
    if (!entry) {
      const record = await deps.store.get(id);
      if (!record) throw new NotFoundError(`session "${id}" does not exist; list sessions with GET /api/v1/sessions`);
      // Not running here: another process may own it. Ask it to stop (it checks before each candle);
      // a session nobody runs is marked stopped by the next start.
      const active = ACTIVE_STATUSES.includes(record.status);
      // One that ended here by itself (a replay at its last candle) answers with how it ended, candles counted.
      const ended = endedHere.get(id);
      if (!active && ended) return ended;
      if (active) {
        await deps.store.setStatus(id, 'stopping', null, deps.clock.nowMs());
        await deps.control?.publish({ kind: ControlKind.StopSession, sessionId: id }).catch((error: unknown) => deps.logger.warn({ session: id, err: error }, 'control bus: sending the stop failed; the owner stops the session at its next candle'));
      }
      return stateOfRecord(record, active ? 'stopping' : record.status);
    }
    const { session } = entry;
    await session.stop();
    running.delete(id);
    const end = session.state();
    await deps.store.setStatus(id, end.status === 'completed' ? 'completed' : 'stopped', null, deps.clock.nowMs());
    await feedReleases.get(session)?.();
    return session.state();
  }

  /**
   * A web process's start: the session is stored as `starting` (its request checked and its account
   * resolved) for a trader to claim; one that is already active is returned as stored.
   */
  async function submit(request: ReturnType<typeof parseRequest>): Promise<LiveSessionState> {
    const market: MarketKey = { exchange: request.exchange, symbol: request.symbol, timeframe: request.timeframe as Timeframe };
    const mode = modeOf(request);
    if (mode === SessionMode.Live && !request.liveTrading) throw new ValidationError('liveTrading', false, 'a live session trades on the real venue: set liveTrading true (admins only)');
    if (mode !== SessionMode.Live && request.liveTrading) throw new ValidationError('mode', mode, 'liveTrading needs mode "live"');
    const accountId = await sessionAccountId(request, mode);
    await deps.accounts.get(accountId);
    const id = sessionIdOf(market, mode, accountId);
    const existing = await deps.store.get(id);
    if (existing && ACTIVE_STATUSES.includes(existing.status)) return stateOfRecord(existing);
    const now = deps.clock.nowMs();
    const record: LiveSessionRecord = { id, exchange: market.exchange, symbol: market.symbol, timeframe: market.timeframe, config: { ...request, accountId } as unknown as Record<string, unknown>, status: 'starting', lastCandleMs: existing?.lastCandleMs ?? null, liveTrading: request.liveTrading, lastError: null, startedAtMs: now, updatedAtMs: now, spec: null };
    await deps.store.upsert(record);
    deps.logger.info({ session: id, mode, account: accountId }, 'live session stored for a trader to claim');
    return stateOfRecord(record);
  }

  /** Stops every session here whose lease ends within the margin with no renewal through (synchronous: runs even while a renewal hangs). */
  function haltExpiring(): void {
    if (!lease) return;
    const now = leaseClock.nowMs();
    for (const [id, holding] of [...held]) {
      if (now >= holding.heldUntilMs - lease.haltMarginMs) haltLocally(id, `no renewal got through and the lease ends at ${holding.heldUntilMs} ms (now ${now} ms)`);
    }
  }

  /** Renews what this trader holds (never waits behind a claim: a session being resumed must not starve the others' renewals). */
  async function renewHeld(): Promise<void> {
    const config = lease!;
    if (renewing) return;
    renewing = true;
    try {
      for (const [id, holding] of [...held]) {
        const askedAtMs = leaseClock.nowMs();
        let kept: boolean;
        try {
          kept = await deps.store.renew(id, config.owner, holding.token, config.leaseMs);
          lastLeaseError = null;
        } catch (error) {
          lastLeaseError = error instanceof Error ? error.message : String(error);
          deps.logger.warn({ session: id, err: error }, 'renewing a session lease failed; the session stops here before the lease ends unless a renewal gets through');
          continue;
        }
        if (!kept) haltLocally(id, `the lease under token ${holding.token} was claimed by another trader`);
        else if (held.get(id) === holding) {
          holding.heldUntilMs = askedAtMs + config.leaseMs;
          holding.renewedAtMs = askedAtMs;
        }
      }
      haltExpiring();
    } finally {
      renewing = false;
    }
  }

  /**
   * Runs the lease rounds every `renewEveryMs` once this trader holds or looks for a lease: renewals always
   * (a session started by a one-shot command such as `live run` keeps its lease too), claims after `resumeAll`.
   */
  function ensureLeaseTimer(): void {
    if (!lease || cancelLeaseTimer) return;
    cancelLeaseTimer = lease.every(lease.renewEveryMs, () => {
      haltExpiring();
      void renewHeld().catch((error: unknown) => deps.logger.error({ err: error }, 'renewing session leases failed'));
      if (claimsFree) void claimRound().catch((error: unknown) => deps.logger.error({ err: error }, 'claiming session leases failed'));
    });
  }

  /** Claims and resumes what nobody holds; one round at a time. */
  async function claimRound(): Promise<number> {
    if (claiming || shuttingDown) return 0;
    claiming = true;
    try {
      const resumed = await claimFree();
      lastRoundAtMs = leaseClock.nowMs();
      return resumed;
    } finally {
      claiming = false;
    }
  }

  /** Claims and resumes the active sessions nobody holds (or whose lease expired, or whose trader is gone). */
  async function claimFree(): Promise<number> {
    let resumed = 0;
    let records: LiveSessionRecord[];
    try {
      records = await deps.store.list();
    } catch (error) {
      lastLeaseError = error instanceof Error ? error.message : String(error);
      deps.logger.warn({ err: error }, 'listing sessions to claim failed');
      return 0;
    }
    for (const record of records) {
      if (running.has(record.id) || held.has(record.id) || shuttingDown) continue;
      const stopping = record.status === 'stopping';
      if (!stopping && !ACTIVE_STATUSES.includes(record.status)) continue;
      if ((retryAfterMs.get(record.id) ?? -Infinity) > leaseClock.nowMs()) continue;
      let token: number | null;
      try {
        token = await claimLease(record);
      } catch (error) {
        lastLeaseError = error instanceof Error ? error.message : String(error);
        deps.logger.warn({ session: record.id, err: error }, 'claiming a session lease failed');
        continue;
      }
      if (token === null) continue;
      if (stopping) {
        // Asked to stop while no trader ran it: it is stopped, and the lease given back.
        await deps.store.setStatus(record.id, 'stopped', null, deps.clock.nowMs());
        held.delete(record.id);
        await deps.store.release(record.id, lease!.owner, token).catch(() => undefined);
        continue;
      }
      try {
        await launch(parseStoredRequest(record.config), { spec: record.spec, token });
        retryAfterMs.delete(record.id);
        resumed++;
      } catch (error) {
        deps.logger.error({ session: record.id, err: error }, 'could not resume live session');
        retryAfterMs.set(record.id, leaseClock.nowMs() + LEASE_RETRY_AFTER_FAILURE_MS);
        held.delete(record.id);
        await deps.store.release(record.id, lease!.owner, token).catch(() => undefined);
      }
    }
    return resumed;
  }

  return {
    start: async (input) => (deps.runsSessions === false ? submit(parseRequest(input)) : launch(parseRequest(input))),
    stop: stopOne,
    async list() {
      const records = await deps.store.list();
      return records.map((r) => ({ ...r, state: running.get(r.id)?.session.state() ?? null }));
    },
    async get(id) {
      const record = await deps.store.get(id);
      return record && { ...record, state: running.get(id)?.session.state() ?? null };
    },
    routeExternalSignal: routeLocal,
    async routeOrForward(signal) {
      const here = routeLocal(signal);
      if (here !== null || !deps.control) return here;
      const elsewhere = (await deps.store.list()).find(
        (r) =>
          ['running', 'starting', 'reconnecting'].includes(r.status) &&
          !running.has(r.id) &&
          (signal.accountId === undefined || sessionAccountOf(r) === signal.accountId) &&
          symbolMatches(r.symbol, signal.symbol) &&
          (signal.exchange === undefined || r.exchange === signal.exchange),
      );
      if (!elsewhere) return null;
      const alert: ControlAlert = { ...(signal.exchange !== undefined ? { exchange: signal.exchange } : {}), symbol: signal.symbol, side: signal.side, strength: signal.strength, stopHint: Number.isFinite(signal.stopHint) ? signal.stopHint : null };
      try {
        await deps.control.publish({ kind: ControlKind.ExternalAlert, sessionId: elsewhere.id, alert });
      } catch (error) {
        deps.logger.warn({ session: elsewhere.id, err: error }, 'control bus: forwarding an alert to the process running its session failed');
        return null;
      }
      return elsewhere.id;
    },
    runningHere(accountId) {
      return [...running.entries()].filter(([, e]) => accountId === null || e.accountId === accountId).map(([id]) => id);
    },
    async stopHere(id) {
      if (!running.has(id)) return false;
      await stopOne(id);
      return true;
    },
    async stopRequested() {
      const stopped: string[] = [];
      for (const record of await deps.store.list()) {
        if (record.status === 'stopping' && running.has(record.id)) {
          await stopOne(record.id);
          stopped.push(record.id);
        }
      }
      return stopped;
    },
    routeHere(id, alert) {
      const entry = running.get(id);
      return entry ? entry.session.pushExternalSignal({ side: alert.side, strength: alert.strength, stopHint: alert.stopHint ?? Number.NaN }) : false;
    },
    leaseStatus() {
      if (!lease) return null;
      const now = leaseClock.nowMs();
      return {
        owner: lease.owner,
        held: [...held].map(([sessionId, h]) => ({ sessionId, token: h.token, heldUntilMs: h.heldUntilMs, leaseAgeMs: Math.max(0, now - h.renewedAtMs) })),
        lastError: lastLeaseError,
        lastRoundAtMs,
      };
    },
    async resumeAll() {
      shuttingDown = false;
      if (lease) {
        claimsFree = true;
        await renewHeld();
        const resumedNow = await claimRound();
        ensureLeaseTimer();
        return resumedNow;
      }
      let resumed = 0;
      for (const record of await deps.store.list()) {
        if (record.status === 'stopping' && !running.has(record.id)) {
          await deps.store.setStatus(record.id, 'stopped', null, deps.clock.nowMs());
          continue;
        }
        if (!['running', 'starting', 'reconnecting'].includes(record.status) || running.has(record.id)) continue;
        try {
          await launch(parseStoredRequest(record.config), { spec: record.spec });
          resumed++;
        } catch (error) {
          deps.logger.error({ session: record.id, err: error }, 'could not resume live session');
        }
      }
      return resumed;
    },
    async stopAll() {
      // Stopped by the process, not by an operator: keep them marked running so the next start resumes them.
      shuttingDown = true;
      claimsFree = false;
      cancelLeaseTimer?.();
      cancelLeaseTimer = null;
      const sessions = [...running.values()].map((e) => e.session);
      await Promise.all(sessions.map((s) => s.stop()));
      running.clear();
      // Each session's feed share and keyed venue client (the done handler may not have run yet).
      await Promise.all(sessions.map((s) => feedReleases.get(s)?.()));
      const left = [...feeds.entries()];
      feeds.clear();
      await Promise.all(left.map(([exchange, entry]) => closeFeed(exchange, entry.feed)));
      await deps.accounts.persistAll();
    },
  };
}

/**
 * Starts, stops, lists and resumes live sessions (one per exchange/symbol/timeframe). Sessions run
 * on the PaperExchange (dry run) unless a real venue is provided for the exchange and the request
 * asks for live trading. Session records and checkpoints persist through `LiveSessionStore`, so a
 * restarted server resumes every session that was running, after its last processed candle.
 * The manager owns one market-data feed per exchange: built when the first session of the exchange
 * starts, closed when the last one ends (and on `stopAll`).
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors';
import type { CandleRepository, Clock, Logger, RiskStateRepository } from '../core/ports';
import { TIMEFRAME_MS, symbolMatches, type MarketKey, type Timeframe } from '../core/types';
import { resolveFusionConfig } from '../decision/signal-fusion';
import type { VetoModel } from '../decision/veto-model';
import type { Exchange } from '../execution/exchange';
import type { JournalWriter } from '../journal/journal-writer';
import type { AccountView, CandleSimulator, ClosedTrade } from '../loop/trading-loop';
import { createRiskEngine, type RiskConfig } from '../risk/risk-engine';
import type { EngineEvents } from '../telemetry/engine-events';
import { STRATEGY_NAMES } from '../strategies/registry';
import { createLiveSession, type CandleFeed, type LiveCheckpointStore, type LiveSession, type LiveSessionState } from './live-session';

/** A stored live session. */
export interface LiveSessionRecord {
  id: string;
  exchange: string;
  symbol: string;
  timeframe: string;
  config: Record<string, unknown>;
  status: string;
  lastCandleMs: number | null;
  liveTrading: boolean;
  lastError: string | null;
  startedAtMs: number | null;
  updatedAtMs: number;
}

/** Session records plus checkpoints. */
export interface LiveSessionStore extends LiveCheckpointStore {
  upsert(record: LiveSessionRecord): Promise<void>;
  get(id: string): Promise<LiveSessionRecord | null>;
  list(): Promise<LiveSessionRecord[]>;
  setStatus(id: string, status: string, lastError: string | null, updatedAtMs: number): Promise<void>;
}

/** What an operator asks for. */
export const liveSessionRequestSchema = z.object({
  exchange: z.string().min(1),
  symbol: z.string().regex(/^[A-Z0-9]+\/[A-Z0-9]+$/, 'expected a market symbol like BTC/USDT'),
  timeframe: z.string().refine((t) => Object.prototype.hasOwnProperty.call(TIMEFRAME_MS, t), { message: `expected one of ${Object.keys(TIMEFRAME_MS).join(', ')}` }),
  strategies: z.array(z.enum(STRATEGY_NAMES)).min(1, 'expected at least one strategy'),
  params: z.record(z.string(), z.unknown()).default({}),
  fusion: z.record(z.string(), z.unknown()).default({}),
  risk: z.record(z.string(), z.unknown()).default({}),
  decisionDetail: z.enum(['all', 'signals', 'off']).default('signals'),
  /** Trade on the real venue instead of the paper dry run (needs stored keys and an enabled account). */
  liveTrading: z.boolean().default(false),
});
export type LiveSessionRequest = z.input<typeof liveSessionRequestSchema>;

/** A real venue for an exchange, when an admin has stored keys and enabled live trading; else a reason. */
export type RealVenue =
  | {
      ok: true;
      exchange: Exchange;
      /** Builds the account view for the symbols a session trades. */
      accountFor(symbols: readonly string[]): AccountView;
      /** Open orders, positions and balances at the venue, checked before the first candle. */
      reconcile?(symbols: readonly string[]): Promise<{ openOrders: unknown[]; positions: unknown[] }>;
      /** Releases the keyed venue client; called once when the session that asked for it ends. */
      close?(): Promise<void>;
    }
  | { ok: false; reason: string };

export interface LiveSessionManagerDeps {
  clock: Clock;
  logger: Logger;
  store: LiveSessionStore;
  riskState: RiskStateRepository;
  /**
   * Builds public market data for an exchange (ccxt, no keys). Called once per exchange while any
   * session of it runs; the manager calls the feed's `close` when the last such session ends.
   */
  feedFor(exchange: string): CandleFeed;
  /** Candle storage sessions write the closed candles they poll to (so drift reports need no download). */
  candles?: Pick<CandleRepository, 'insertCandles'>;
  /** The paper account sessions trade on in dry run. */
  paper: { exchange: Exchange; account: AccountView; simulator: CandleSimulator; onTradeClosed(handler: (t: ClosedTrade) => void): void; marketType: 'spot' | 'futures' };
  realVenueFor(exchange: string): Promise<RealVenue>;
  journal: JournalWriter;
  veto: () => VetoModel | null;
  newId: () => string;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
  defaultRisk: RiskConfig;
  events?: EngineEvents;
}

export interface LiveSessionManager {
  /** Starts a session (or returns the running one for the same market). @throws ValidationError for bad requests. */
  start(request: unknown): Promise<LiveSessionState>;
  stop(id: string): Promise<LiveSessionState>;
  /** Every stored session, with the in-memory state of running ones. */
  list(): Promise<(LiveSessionRecord & { state: LiveSessionState | null })[]>;
  /**
   * Routes an outside alert to the running session of its market (any timeframe; `BTCUSDT` matches
   * `BTC/USDT`). Returns the session id, or null when no session trades that market.
   */
  routeExternalSignal(signal: { exchange?: string; symbol: string; side: 'long' | 'short' | 'flat'; strength: number; stopHint: number }): string | null;
  /** The stored record of a session, null when unknown. */
  get(id: string): Promise<LiveSessionRecord | null>;
  /** Resumes sessions stored as running (after a restart). */
  resumeAll(): Promise<number>;
  stopAll(): Promise<void>;
}

const sessionIdOf = (m: MarketKey) => `live:${m.exchange}:${m.symbol}:${m.timeframe}`;

function parseRequest(input: unknown) {
  const parsed = liveSessionRequestSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue.path.join('.') || 'request';
  const value = issue.path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[String(k)] : undefined), input);
  throw new ValidationError(field, value, issue.message);
}

/** Creates the manager. */
export function createLiveSessionManager(deps: LiveSessionManagerDeps): LiveSessionManager {
  const running = new Map<string, LiveSession>();
  let shuttingDown = false;
  const tradeHandlers = new Map<string, (t: ClosedTrade) => void>();
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
  deps.paper.onTradeClosed((t) => {
    for (const [id, handler] of tradeHandlers) if (id.includes(`:${t.symbol}:`)) handler(t);
  });

  async function launch(request: ReturnType<typeof parseRequest>): Promise<LiveSessionState> {
    const market: MarketKey = { exchange: request.exchange, symbol: request.symbol, timeframe: request.timeframe as Timeframe };
    const id = sessionIdOf(market);
    const existing = running.get(id);
    if (existing) return existing.state();
    let venue: { exchange: Exchange; account: AccountView; simulator: CandleSimulator | null } = { ...deps.paper };
    // Shorts need a futures account: the paper account's market type, or USD-M on a real venue.
    let allowShort = deps.paper.marketType === 'futures';
    // The keyed venue client (real trading only) is closed when the session ends, once.
    let closeVenue: (() => Promise<void>) | null = null;
    if (request.liveTrading) {
      const real = await deps.realVenueFor(request.exchange);
      if (!real.ok) throw new ValidationError('liveTrading', true, real.reason);
      if (real.close) {
        const close = real.close;
        let closed = false;
        closeVenue = async () => {
          if (closed) return;
          closed = true;
          await close().catch((error: unknown) => deps.logger.warn({ session: id, err: error }, 'closing the venue client failed'));
        };
      }
      if (real.reconcile) {
        // Before trading: what does the venue already hold? Logged so an operator sees leftovers.
        const snapshot = await real.reconcile([market.symbol]).catch(async (error: unknown) => {
          await closeVenue?.();
          throw error;
        });
        deps.logger.info({ session: id, openOrders: snapshot.openOrders.length, positions: snapshot.positions.length }, 'reconciled with the venue before trading');
      }
      venue = { exchange: real.exchange, account: real.accountFor([market.symbol]), simulator: null };
      allowShort = request.exchange === 'binanceusdm';
    }
    // Outside alerts (webhooks) are one more fusion input, weighted like a strategy unless configured.
    const weights = { ...Object.fromEntries(request.strategies.map((s) => [s, 1])), external: 1 };
    const fusion = resolveFusionConfig({ weights, ttlMs: TIMEFRAME_MS[market.timeframe], ...request.fusion } as never);
    const risk = createRiskEngine({ ...deps.defaultRisk, ...request.risk, accountId: id } as RiskConfig, { clock: deps.clock });
    const feed = acquireFeed(market.exchange);
    const release = async () => {
      await feed.release();
      await closeVenue?.();
    };
    let session: LiveSession;
    try {
      session = createLiveSession(
        {
          id,
          market,
          strategies: request.strategies.map((name) => ({ name, params: request.params[name] ?? {} })),
          fusion,
          decisionDetail: request.decisionDetail,
          allowShort,
          acceptExternalSignals: true,
        },
        {
          clock: deps.clock,
          logger: deps.logger,
          feed: feed.feed,
          candles: deps.candles ?? null,
          exchange: venue.exchange,
          account: venue.account,
          simulator: venue.simulator,
          risk,
          riskState: deps.riskState,
          checkpoints: deps.store,
          journal: deps.journal,
          veto: deps.veto(),
          newId: deps.newId,
          sleep: deps.sleep,
          random: deps.random,
          events: deps.events,
          onTradeClosedHook: (handler) => tradeHandlers.set(id, handler),
        },
      );
      const now = deps.clock.nowMs();
      const previous = await deps.store.get(id);
      await deps.store.upsert({
        id,
        exchange: market.exchange,
        symbol: market.symbol,
        timeframe: market.timeframe,
        config: request as unknown as Record<string, unknown>,
        status: 'starting',
        lastCandleMs: previous?.lastCandleMs ?? null,
        liveTrading: request.liveTrading,
        lastError: null,
        startedAtMs: now,
        updatedAtMs: now,
      });
    } catch (error) {
      await release();
      throw error;
    }
    feedReleases.set(session, release);
    running.set(id, session);
    try {
      await session.start();
    } catch (error) {
      running.delete(id);
      tradeHandlers.delete(id);
      await release();
      const message = error instanceof Error ? error.message : String(error);
      await deps.store.setStatus(id, 'stopped', message, deps.clock.nowMs());
      throw error;
    }
    await deps.store.setStatus(id, 'running', null, deps.clock.nowMs());
    void session.done().then(async () => {
      const end = session.state();
      running.delete(id);
      tradeHandlers.delete(id);
      await release();
      if (shuttingDown && end.status === 'stopped') return; // stays `running` in the store: resumed on the next start
      await deps.store.setStatus(id, end.status, end.lastError, deps.clock.nowMs()).catch(() => undefined);
    });
    deps.logger.info({ session: id, liveTrading: request.liveTrading }, 'live session started');
    return session.state();
  }

  async function stopOne(id: string): Promise<LiveSessionState> {
    const session = running.get(id);
    if (!session) {
      const record = await deps.store.get(id);
      if (!record) throw new ValidationError('id', id, 'no live session has this id');
      if (record.status === 'running') await deps.store.setStatus(id, 'stopped', null, deps.clock.nowMs());
      return { id, market: { exchange: record.exchange, symbol: record.symbol, timeframe: record.timeframe as Timeframe }, status: 'stopped', lastCandleMs: record.lastCandleMs, candlesProcessed: 0, reconnects: 0, lastError: record.lastError };
    }
    await session.stop();
    running.delete(id);
    await deps.store.setStatus(id, 'stopped', null, deps.clock.nowMs());
    await feedReleases.get(session)?.();
    return session.state();
  }

  return {
    start: async (input) => launch(parseRequest(input)),
    stop: stopOne,
    async list() {
      const records = await deps.store.list();
      return records.map((r) => ({ ...r, state: running.get(r.id)?.state() ?? null }));
    },
    get: (id) => deps.store.get(id),
    routeExternalSignal(signal) {
      for (const [id, session] of running) {
        const { market } = session.state();
        if (symbolMatches(market.symbol, signal.symbol) && (signal.exchange === undefined || market.exchange === signal.exchange)) {
          if (session.pushExternalSignal({ side: signal.side, strength: signal.strength, stopHint: signal.stopHint })) return id;
        }
      }
      return null;
    },
    async resumeAll() {
      shuttingDown = false;
      let resumed = 0;
      for (const record of await deps.store.list()) {
        if (!['running', 'starting', 'reconnecting'].includes(record.status) || running.has(record.id)) continue;
        try {
          await launch(parseRequest(record.config));
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
      const sessions = [...running.values()];
      await Promise.all(sessions.map((s) => s.stop()));
      running.clear();
      // Each session's feed share and keyed venue client (the done handler may not have run yet).
      await Promise.all(sessions.map((s) => feedReleases.get(s)?.()));
      const left = [...feeds.entries()];
      feeds.clear();
      await Promise.all(left.map(([exchange, entry]) => closeFeed(exchange, entry.feed)));
    },
  };
}

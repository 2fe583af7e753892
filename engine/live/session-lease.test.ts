/**
 * Session ownership by lease, with a manual clock and hand-driven timers: two traders (two managers,
 * each with its own account book, as two processes have) share one session store. The store's clock is
 * the same manual clock (the database's clock in production).
 */
import { describe, expect, it, vi } from 'vitest';
import { createManualClock, silentLogger, type ManualClock } from '../core/clock';
import type { Logger } from '../core/logger';
import { MAX_FENCING_TOKEN } from '../ports/live-sessions';
import { StaleLeaseError, ValidationError } from '../core/errors';
import type { Candle } from '../core/types';
import { createJournalWriter } from '../journal/journal-writer';
import {
  createInMemoryAccountRepository,
  createInMemoryCandleRepository,
  createInMemoryJournalRepository,
  createInMemoryRiskStateRepository,
  createInMemorySettingsRepository,
} from '../testing/in-memory-repositories';
import { createAccountBook } from '../account/account-book';
import { createLiveSessionManager, type SessionLeaseConfig } from './live-session-manager';
import { createInMemoryLiveSessionStore } from '../testing/in-memory-live-session-store';
import type { PaperExchangeState } from '../ports/accounts';
import { VALUE_AT_RISK_DEFAULTS } from '../risk/risk-engine';

const TF = 300_000;
const T0 = Date.UTC(2024, 0, 1);
const CANDLES: Candle[] = Array.from({ length: 700 }, (_, i) => {
  const close = 100 * (1 + 0.05 * Math.sin(i / 15));
  return { openTimeMs: T0 + i * TF, open: close, high: close * 1.001, low: close * 0.999, close, volume: 1_000 };
});
const START = T0 + 400 * TF + 1_000;
const LEASE_MS = 10_000;
const ID = 'live:binance:BTC/USDT:5m';
const request = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', strategies: ['ma-crossover'], params: { 'ma-crossover': { fastPeriod: 3, slowPeriod: 8 } }, fusion: { entryThreshold: 0.05 }, veto: 'off' };

type Store = ReturnType<typeof createInMemoryLiveSessionStore>;

/** One trader process: its own account book over the shared account storage, hand-driven lease timer and session sleeps. */
async function trader(name: string, shared: { clock: ManualClock; store: Store; accountStates?: Map<string, PaperExchangeState> }, options: Partial<Pick<SessionLeaseConfig, 'isOwnerGone' | 'leaseMs' | 'renewEveryMs' | 'haltMarginMs'>> & { logger?: Logger } = {}) {
  const { clock, store } = shared;
  const riskState = createInMemoryRiskStateRepository();
  const accountRepository = createInMemoryAccountRepository(riskState);
  for (const [id, state] of shared.accountStates ?? []) accountRepository.states.set(id, structuredClone(state));
  const accounts = createAccountBook({
    clock,
    logger: silentLogger,
    accounts: accountRepository,
    riskState,
    settings: createInMemorySettingsRepository(),
    candles: createInMemoryCandleRepository(),
    defaultRiskLimits: async () => ({ maxLeverage: 1, maxLossPctEquityPerTrade: 2, riskPerTradePct: 1, maxSymbolExposurePct: 90, maxOpenPositions: 1, atrStopMultiple: 2, dailyLossLimitPct: 5, maxDrawdownPct: 25, feeRateBps: 0, ...VALUE_AT_RISK_DEFAULTS }),
  });
  await accounts.ensureDefault({ name: 'Paper', marketType: 'futures', initialBalance: 10_000, makerFeeBps: 2, takerFeeBps: 10, spreadBps: 2, slippageBps: 2, maxVolumeShare: 1 });
  const ticks: (() => void)[] = [];
  const sleepers = new Set<() => void>();
  /** A wake that found no session asleep yet (its loop was still polling): the next sleep returns at once. */
  let wakePending = false;
  const lease: SessionLeaseConfig = {
    owner: name,
    leaseMs: options.leaseMs ?? LEASE_MS,
    renewEveryMs: options.renewEveryMs ?? 2_000,
    haltMarginMs: options.haltMarginMs ?? 2_000,
    every: (_ms, tick) => {
      ticks.push(tick);
      return () => ticks.splice(ticks.indexOf(tick), 1);
    },
    isOwnerGone: options.isOwnerGone,
  };
  const m = createLiveSessionManager({
    clock,
    logger: options.logger ?? silentLogger,
    store,
    accounts,
    feedFor: () => ({ fetchOhlcv: async (_s, _t, since = 0, limit = 500) => CANDLES.filter((c) => c.openTimeMs >= since && c.openTimeMs + TF <= clock.nowMs()).slice(0, limit) }),
    realVenueFor: async () => ({ ok: false, reason: 'no keys' }),
    journal: createJournalWriter({ batchSize: 100 }, { repository: createInMemoryJournalRepository(), logger: silentLogger }),
    veto: () => null,
    newId: () => 'id',
    // Sessions wait until `wake` (the next candle closed) or their stop.
    sleep: (_ms, signal) =>
      new Promise((resolve) => {
        if (wakePending) {
          wakePending = false;
          return resolve();
        }
        const done = () => {
          sleepers.delete(done);
          resolve();
        };
        sleepers.add(done);
        signal.addEventListener('abort', done, { once: true });
      }),
    random: () => 0.5,
    lease,
  });
  return {
    m,
    accounts,
    accountRepository,
    /** One lease round, as the timer runs it: the synchronous deadline check, then renew and claim. */
    async tick() {
      for (const tick of [...ticks]) tick();
      await new Promise((resolve) => setTimeout(resolve, 50));
    },
    wake() {
      if (sleepers.size === 0) wakePending = true;
      [...sleepers].forEach((s) => s());
    },
    clientOrderIds: async () => (await accounts.runtime('default')).exchange().exportState().orders.map((o) => o.clientOrderId),
  };
}

/** A logger that keeps its lines (what the named-log-line checks read). */
function capturingLogger() {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (obj: object, msg = '') => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

/** Waits until the manager no longer runs the session (its loop ended). */
async function notRunning(t: Awaited<ReturnType<typeof trader>>) {
  await vi.waitFor(async () => expect((await t.m.get(ID))?.state).toBeNull());
}

describe('live session leases', () => {
  it('claims a started session under token 1, and a second trader gets the stored session instead of a second run', async () => {
    const clock = createManualClock(START);
    const store = createInMemoryLiveSessionStore(clock);
    const a = await trader('trader-a', { clock, store });
    const b = await trader('trader-b', { clock, store });
    const state = await a.m.start(request);
    expect(state).toMatchObject({ id: ID, status: 'running' });
    expect(store.records.get(ID)?.lease).toEqual({ owner: 'trader-a', expiresAtMs: START + LEASE_MS, token: 1 });
    const other = await b.m.start(request);
    expect(other).toMatchObject({ id: ID, status: 'running', candlesProcessed: 0 });
    expect((await b.m.get(ID))?.state).toBeNull();
    expect(b.m.leaseStatus()).toEqual({ owner: 'trader-b', held: [], lastError: null, lastRoundAtMs: null });
    expect(store.records.get(ID)?.lease?.token).toBe(1);
    await a.m.stopAll();
  });

  it('reports each held lease\'s age since its last successful claim or renewal, and when the last claim round finished', async () => {
    const clock = createManualClock(START);
    const store = createInMemoryLiveSessionStore(clock);
    const a = await trader('trader-a', { clock, store });
    await a.m.start(request);
    // Claimed at START: age 0; 1 500 ms later, 1 500 ms; no claim round ran yet (no resumeAll).
    expect(a.m.leaseStatus()).toEqual({ owner: 'trader-a', held: [{ sessionId: ID, token: 1, heldUntilMs: START + LEASE_MS, leaseAgeMs: 0 }], lastError: null, lastRoundAtMs: null });
    clock.advance(1_500);
    expect(a.m.leaseStatus()?.held[0]?.leaseAgeMs).toBe(1_500);
    // resumeAll renews (asked at START + 1 500: age back to 0) and runs the first claim round, finished at START + 1 500.
    await a.m.resumeAll();
    expect(a.m.leaseStatus()).toEqual({ owner: 'trader-a', held: [{ sessionId: ID, token: 1, heldUntilMs: START + 1_500 + LEASE_MS, leaseAgeMs: 0 }], lastError: null, lastRoundAtMs: START + 1_500 });
    // A timer round 2 000 ms later renews again; the age read 700 ms after it is 700.
    clock.advance(2_000);
    await a.tick();
    clock.advance(700);
    expect(a.m.leaseStatus()).toEqual({ owner: 'trader-a', held: [{ sessionId: ID, token: 1, heldUntilMs: START + 3_500 + LEASE_MS, leaseAgeMs: 700 }], lastError: null, lastRoundAtMs: START + 3_500 });
    await a.m.stopAll();
  });

  it('renews on every round; when renewals fail it stops the session a margin before the lease ends, and another trader resumes it after', async () => {
    const clock = createManualClock(START);
    const store = createInMemoryLiveSessionStore(clock);
    let databaseAway = false;
    const flaky: Store = { ...store, renew: (...args) => (databaseAway ? Promise.reject(new Error('connection refused')) : store.renew(...args)) };
    const a = await trader('trader-a', { clock, store: flaky });
    const b = await trader('trader-b', { clock, store });
    await a.m.start(request);
    await a.m.resumeAll(); // starts the lease timer
    await b.m.resumeAll();
    clock.advance(2_000);
    await a.tick();
    // Renewed at START + 2 000 for 10 000 ms.
    expect(store.records.get(ID)?.lease).toEqual({ owner: 'trader-a', expiresAtMs: START + 12_000, token: 1 });
    databaseAway = true;
    for (const at of [4_000, 6_000, 8_000]) {
      clock.set(START + at);
      await a.tick();
      await b.tick();
      expect((await a.m.get(ID))?.state?.status, `at +${at} ms`).toBe('running');
    }
    expect(a.m.leaseStatus()?.lastError).toBe('connection refused');
    // Held until START + 12 000 by A's clock; the margin is 2 000 ms: at +10 000 A stops trading it.
    clock.set(START + 10_000);
    await a.tick();
    await notRunning(a);
    expect(a.m.leaseStatus()?.held).toEqual([]);
    // The record is the next owner's: still running; A gave the lease back as it stopped (when the database
    // is away that fails too, and the lease ends on its own at +12 000).
    expect(store.records.get(ID)).toMatchObject({ status: 'running', lease: { owner: null, token: 1 } });
    await b.tick();
    await vi.waitFor(async () => expect((await b.m.get(ID))?.state?.status).toBe('running'));
    expect(store.records.get(ID)?.lease).toEqual({ owner: 'trader-b', expiresAtMs: START + 20_000, token: 2 });
    await a.m.stopAll();
    await b.m.stopAll();
  });

  it('renews the lease of a session started without resumeAll (a one-shot command like `live run`), and claims nothing else', async () => {
    const clock = createManualClock(START);
    const store = createInMemoryLiveSessionStore(clock);
    const a = await trader('trader-a', { clock, store });
    const b = await trader('trader-b', { clock, store });
    await b.m.start({ ...request, symbol: 'ETH/USDT' });
    await b.m.stopAll(); // ETH/USDT stays running in the store, its lease given back
    await a.m.start(request);
    clock.advance(2_000);
    await a.tick();
    expect(store.records.get(ID)?.lease).toEqual({ owner: 'trader-a', expiresAtMs: START + 12_000, token: 1 });
    expect(store.records.get('live:binance:ETH/USDT:5m')?.lease).toEqual({ owner: null, expiresAtMs: null, token: 1 });
    expect((await a.m.get(ID))?.state?.status).toBe('running');
    await a.m.stopAll();
  });

  it('runs every session of one paper account in one trader: another trader stores its session for that one, and takes them all over when it is gone', async () => {
    const clock = createManualClock(START);
    const store = createInMemoryLiveSessionStore(clock);
    const ETH = 'live:binance:ETH/USDT:5m';
    const a = await trader('trader-a', { clock, store });
    const b = await trader('trader-b', { clock, store });
    expect(await a.m.resumeAll()).toBe(0);
    await a.m.start(request);
    // B is asked to start a session of the same paper account: it stores it and leaves it to A.
    expect(await b.m.start({ ...request, symbol: 'ETH/USDT' })).toMatchObject({ id: ETH, status: 'starting', candlesProcessed: 0 });
    expect((await b.m.get(ETH))?.state).toBeNull();
    expect(store.records.get(ETH)?.lease).toEqual({ owner: null, expiresAtMs: null, token: 0 });
    expect(await b.m.resumeAll()).toBe(0);
    await a.tick();
    await vi.waitFor(async () => expect((await a.m.get(ETH))?.state?.status).toBe('running'));
    expect(store.records.get(ETH)?.lease).toEqual({ owner: 'trader-a', expiresAtMs: START + LEASE_MS, token: 1 });
    expect(b.m.leaseStatus()?.held).toEqual([]);
    // A is gone: a trader that knows it takes over both sessions of the account, never one of them alone.
    const c = await trader('trader-c', { clock, store }, { isOwnerGone: (owner) => owner === 'trader-a' });
    expect(await c.m.resumeAll()).toBe(2);
    expect([store.records.get(ID)?.lease?.owner, store.records.get(ETH)?.lease?.owner]).toEqual(['trader-c', 'trader-c']);
    await a.m.stopAll();
    await b.m.stopAll();
    await c.m.stopAll();
  });

  it('refuses a checkpoint with a stale token, and the former owner stops the session at once', async () => {
    const clock = createManualClock(START);
    const store = createInMemoryLiveSessionStore(clock);
    const a = await trader('trader-a', { clock, store });
    await a.m.start(request);
    // Warmed up to candle 399; no candle processed yet, so no checkpoint.
    const checkpointBefore = store.records.get(ID)!.lastCandleMs;
    expect(checkpointBefore).toBeNull();
    // Trader B takes the lease over (A looked gone to it): token 2.
    expect(await store.claim(ID, 'trader-b', LEASE_MS, 'trader-a')).toBe(2);
    const refused = await store.save({ sessionId: ID, lastCandleMs: T0 + 400 * TF, updatedAtMs: clock.nowMs() }, { sessionId: ID, token: 1 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StaleLeaseError);
    expect((refused as Error).message).toBe(`session "${ID}" is leased under fencing token 2: a write with token 1 was refused (another trader owns the session now)`);
    // A's next candle: its checkpoint is refused, the session stops here and leaves the record alone.
    clock.set(T0 + 401 * TF + 1_000);
    a.wake();
    await notRunning(a);
    expect(store.records.get(ID)).toMatchObject({ status: 'running', lastCandleMs: checkpointBefore, lease: { owner: 'trader-b', token: 2 } });
    await a.m.stopAll();
  });

  it('takes a session over at once from a trader known to be gone, and waits for the lease of one that is not', async () => {
    const clock = createManualClock(START);
    const store = createInMemoryLiveSessionStore(clock);
    const a = await trader('trader-a', { clock, store });
    await a.m.start(request);
    const patient = await trader('trader-c', { clock, store });
    expect(await patient.m.resumeAll()).toBe(0);
    const b = await trader('trader-b', { clock, store }, { isOwnerGone: (owner) => owner === 'trader-a' });
    expect(await b.m.resumeAll()).toBe(1);
    expect(store.records.get(ID)?.lease).toEqual({ owner: 'trader-b', expiresAtMs: START + LEASE_MS, token: 2 });
    // A (not gone after all: a zombie) learns it at its next renewal and stops.
    await a.m.resumeAll();
    await a.tick();
    await notRunning(a);
    await a.m.stopAll();
    await b.m.stopAll();
    await patient.m.stopAll();
  });

  it('leaves a lease held by a token from the future alone until it ends, then claims it with the next token', async () => {
    const clock = createManualClock(START);
    const store = createInMemoryLiveSessionStore(clock);
    const a = await trader('trader-a', { clock, store });
    await a.m.start(request);
    await a.m.stopAll(); // gives the lease back; the record stays running
    expect(store.records.get(ID)).toMatchObject({ status: 'running', lease: { owner: null, token: 1 } });
    // A trader nobody knows holds it under token 1000 for 5 minutes (within the longest lease a trader takes).
    store.records.get(ID)!.lease = { owner: 'ghost', expiresAtMs: START + 300_000, token: 1_000 };
    const b = await trader('trader-b', { clock, store });
    expect(await b.m.resumeAll()).toBe(0);
    expect(b.m.leaseStatus()?.held).toEqual([]);
    const stale = await store.save({ sessionId: ID, lastCandleMs: T0 + 400 * TF, updatedAtMs: START }, { sessionId: ID, token: 5 }).catch((e: unknown) => e);
    expect((stale as Error).message).toBe(`session "${ID}" is leased under fencing token 1000: a write with token 5 was refused (another trader owns the session now)`);
    clock.set(START + 300_001);
    await b.tick();
    await vi.waitFor(async () => expect((await b.m.get(ID))?.state?.status).toBe('running'));
    expect(store.records.get(ID)?.lease).toEqual({ owner: 'trader-b', expiresAtMs: START + 300_001 + LEASE_MS, token: 1_001 });
    await b.m.stopAll();
  });

  it('reclaims at once a lease that ends further ahead than any trader leases, naming it, and fences its holder off', async () => {
    const clock = createManualClock(START);
    const store = createInMemoryLiveSessionStore(clock);
    const a = await trader('trader-a', { clock, store });
    await a.m.start(request);
    await a.m.stopAll();
    // Held by "ghost" under token 7 until 2034 (a restored backup, a clock years ahead): past MAX_SESSION_LEASE_MS (10 min).
    const farAhead = Date.UTC(2034, 0, 1);
    store.records.get(ID)!.lease = { owner: 'ghost', expiresAtMs: farAhead, token: 7 };
    const { logger, lines } = capturingLogger();
    const b = await trader('trader-b', { clock, store }, { logger });
    expect(await b.m.resumeAll()).toBe(1);
    expect(store.records.get(ID)?.lease).toEqual({ owner: 'trader-b', expiresAtMs: START + LEASE_MS, token: 8 });
    expect(lines.filter((l) => l.level === 'warn' && l.msg.startsWith('reclaimed a live session whose lease ended further ahead'))).toEqual([
      {
        level: 'warn',
        obj: { session: ID, from: 'ghost', expiresAtMs: farAhead, maxLeaseMs: 600_000, token: 8 },
        msg: 'reclaimed a live session whose lease ended further ahead than any trader leases (a restored backup, a clock far ahead or a hand edit); a holder still running is fenced off by the new token',
      },
    ]);
    // The ghost, if it still runs, writes under token 7: refused, so nothing is traded twice.
    const stale = await store.save({ sessionId: ID, lastCandleMs: T0 + 400 * TF, updatedAtMs: START }, { sessionId: ID, token: 7 }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(StaleLeaseError);
    expect(await store.renew(ID, 'ghost', 7, LEASE_MS)).toBe(false);
    await b.m.stopAll();
  });

  it('never claims a session whose fencing token is at the largest a trader compares exactly, and says so once', async () => {
    const clock = createManualClock(START);
    const store = createInMemoryLiveSessionStore(clock);
    const a = await trader('trader-a', { clock, store });
    await a.m.start(request);
    await a.m.stopAll();
    store.records.get(ID)!.lease = { owner: null, expiresAtMs: null, token: MAX_FENCING_TOKEN };
    const { logger, lines } = capturingLogger();
    const b = await trader('trader-b', { clock, store }, { logger });
    expect(await b.m.resumeAll()).toBe(0);
    await b.tick();
    await b.tick();
    expect((await b.m.get(ID))?.state).toBeNull();
    expect(lines.filter((l) => l.level === 'error')).toEqual([
      {
        level: 'error',
        obj: { session: ID, holder: null, token: MAX_FENCING_TOKEN, maxToken: 9_007_199_254_740_991 },
        msg: 'live session not claimed: its fencing token is past the largest a trader compares exactly (a hand edit or a corrupt row); once no trader runs it, reset its lease (fencing_token 0, lease_owner and lease_expires_at_ms null) to let a trader claim it',
      },
    ]);
    // The store refuses the claim on its own too (a trader of another build asking directly).
    expect(await store.claim(ID, 'trader-c', LEASE_MS)).toBeNull();
    expect(store.records.get(ID)?.lease?.token).toBe(MAX_FENCING_TOKEN);
    await b.m.stopAll();
  });

  it('sends the same client order ids for the same candles after a handover as its predecessor did', async () => {
    const clock = createManualClock(START);
    const store = createInMemoryLiveSessionStore(clock);
    // Hours of candles pass at once here (no lease round in between): leases of a week.
    const week = { leaseMs: 7 * 86_400_000, renewEveryMs: 86_400_000, haltMarginMs: 86_400_000 };
    const a = await trader('trader-a', { clock, store }, week);
    await a.m.start(request);
    // A trades to candle 480 and checkpoints; what is stored then is what its successor starts from.
    clock.set(T0 + 481 * TF + 1_000);
    a.wake();
    await vi.waitFor(() => expect(store.records.get(ID)?.lastCandleMs).toBe(T0 + 480 * TF));
    const storedAt480 = new Map([...store.records].map(([k, v]) => [k, structuredClone(v)]));
    const accountAt480 = structuredClone(a.accountRepository.states.get('default')!);
    const idsAt480 = new Set(accountAt480.orders.map((o) => o.clientOrderId));
    // A goes on to candle 640 (a partitioned former owner would have).
    clock.set(T0 + 641 * TF + 1_000);
    a.wake();
    await vi.waitFor(() => expect(store.records.get(ID)?.lastCandleMs).toBe(T0 + 640 * TF));
    const byA = (await a.clientOrderIds()).filter((id) => !idsAt480.has(id));
    await a.m.stopAll();
    // B resumes from what was stored at candle 480, once A's lease has ended.
    const clockB = createManualClock(T0 + 481 * TF + 1_000);
    const storeB = createInMemoryLiveSessionStore(clockB);
    for (const [k, v] of storedAt480) storeB.records.set(k, { ...v, lease: { owner: 'trader-a', expiresAtMs: clockB.nowMs() - 1, token: 1 } });
    const b = await trader('trader-b', { clock: clockB, store: storeB, accountStates: new Map([['default', accountAt480]]) }, week);
    expect(await b.m.resumeAll()).toBe(1);
    clockB.set(T0 + 641 * TF + 1_000);
    b.wake();
    await vi.waitFor(() => expect(storeB.records.get(ID)?.lastCandleMs).toBe(T0 + 640 * TF));
    const byB = (await b.clientOrderIds()).filter((id) => !idsAt480.has(id));
    await b.m.stopAll();
    // Ids are `<session>-<kind>-<candle ms>`: the same candles give the same ids, so a venue refuses a repeat.
    expect(byA.length).toBeGreaterThan(0);
    expect(byB).toEqual(byA);
    expect(byA.every((id) => /^ls-[0-9a-f]{8}-[a-z0-9]+-\d+$/.test(id))).toBe(true);
    expect(storeB.records.get(ID)?.lease?.token).toBe(2);
  });

  it('refuses a lease config whose renewal is not due before a session must stop', async () => {
    const clock = createManualClock(START);
    const store = createInMemoryLiveSessionStore(clock);
    const accounts = createAccountBook({ clock, logger: silentLogger, accounts: createInMemoryAccountRepository(), riskState: createInMemoryRiskStateRepository(), settings: createInMemorySettingsRepository(), candles: createInMemoryCandleRepository(), defaultRiskLimits: async () => ({}) as never });
    const build = (lease: Partial<SessionLeaseConfig>) =>
      createLiveSessionManager({
        clock,
        logger: silentLogger,
        store,
        accounts,
        feedFor: () => ({ fetchOhlcv: async () => [] }),
        realVenueFor: async () => ({ ok: false, reason: 'no keys' }),
        journal: createJournalWriter({ batchSize: 1 }, { repository: createInMemoryJournalRepository(), logger: silentLogger }),
        veto: () => null,
        newId: () => 'id',
        sleep: async () => undefined,
        random: () => 0.5,
        lease: { owner: 'trader-a', leaseMs: 3_000, renewEveryMs: 2_000, haltMarginMs: 1_000, every: () => () => undefined, ...lease },
      });
    expect(() => build({})).toThrow(new ValidationError('lease.leaseMs', 3_000, 'expected more than renewEveryMs + haltMarginMs (3000 ms), so a renewal is due before a session must stop'));
    expect(() => build({ haltMarginMs: 0 })).toThrow('field "lease.haltMarginMs" was 0: expected a positive number of ms');
    expect(() => build({ leaseMs: 3_001 })).not.toThrow();
  });
});

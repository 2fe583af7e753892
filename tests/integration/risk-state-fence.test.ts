/**
 * A halt is never lost to a session's save (issue 18, Bad input). Two account books on one database
 * play a trader and a web server: the trader's session reads the risk state before its candle, the web
 * server halts the account, then the session stores its post-candle risk state (its own save and the
 * paper account's state with risk). The stored halt survives both saves, and the trader adopts it at its
 * next read. Run on PGlite and on the real PostgreSQL (TEST_DATABASE_URL).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock, silentLogger } from '../../engine/core/clock';
import { createAccountBook, type AccountBook } from '../../engine/account/account-book';
import { createInMemoryCandleRepository } from '../../engine/testing/in-memory-repositories';
import { VALUE_AT_RISK_DEFAULTS } from '../../engine/risk/risk-engine';
import { createAccountRepository } from '../../db/repositories/account-repository';
import { createRiskStateRepository } from '../../db/repositories/risk-state-repository';
import { createSettingsRepository } from '../../db/repositories/settings-repository';
import type { Database } from '../../db/client';
import type { RiskStateRepository } from '../../engine/ports/risk-state';
import { TEST_DATABASE_BACKENDS } from '../support/ml-databases';

const T0 = Date.UTC(2024, 0, 1);
const TF = 300_000;
/** Daily loss limit 5 %: from a day start of 1,000 the breaker trips at 950. */
const LIMITS = { maxLeverage: 3, maxLossPctEquityPerTrade: 2, riskPerTradePct: 1, maxSymbolExposurePct: 100, maxOpenPositions: 3, atrStopMultiple: 2, dailyLossLimitPct: 5, maxDrawdownPct: 25, feeRateBps: 0, ...VALUE_AT_RISK_DEFAULTS };
const PAPER = { name: 'Paper', marketType: 'spot', initialBalance: 1_000, makerFeeBps: 0, takerFeeBps: 0, spreadBps: 0, slippageBps: 0, maxVolumeShare: 1 } as const;

describe.each(TEST_DATABASE_BACKENDS)('risk state saves against a halt written elsewhere on $name', (backend) => {
  let database: Database;
  let dispose: () => Promise<void>;
  let riskState: RiskStateRepository;
  let clock = createManualClock(T0);
  /** One "process": its own book and runtimes over the shared database. */
  const process = (): AccountBook =>
    createAccountBook({
      clock,
      logger: silentLogger,
      accounts: createAccountRepository(database.db),
      riskState,
      settings: createSettingsRepository(database.db),
      candles: createInMemoryCandleRepository(),
      defaultRiskLimits: async () => ({ ...LIMITS }),
    });

  beforeEach(async () => {
    clock = createManualClock(T0);
    ({ database, dispose } = await backend.open());
    riskState = createRiskStateRepository(database.db);
    await process().ensureDefault({ ...PAPER });
  });
  afterEach(async () => dispose());

  /** The trader's runtime after its first candle at equity 1,000 (day start and peak 1,000 stored). */
  async function traderAfterFirstCandle() {
    const trader = await process().runtime('default');
    trader.exchange().onCandle('BTC/USDT', T0, 100, 100, 100, 100, 10);
    trader.risk.engine().onEquity(T0, 1_000);
    await trader.riskStore.save(trader.risk.engine().state());
    await trader.persist();
    return trader;
  }

  /** What a live session does after a candle at `equity`: its own risk save, then the paper account's state with risk. */
  async function sessionSaves(trader: Awaited<ReturnType<typeof traderAfterFirstCandle>>, candle: number, equity: number) {
    const timeMs = T0 + candle * TF;
    clock.set(timeMs);
    trader.exchange().onCandle('BTC/USDT', timeMs, 101, 101, 101, 101, 10);
    trader.risk.engine().onEquity(timeMs, equity);
    await trader.riskStore.save(trader.risk.engine().state());
    await trader.persist();
  }

  it('keeps a halt written between the session read and its save, and the session adopts it next candle', async () => {
    const trader = await traderAfterFirstCandle();
    await trader.syncControl(); // the session's read before its candle: not halted
    expect(trader.risk.engine().isHalted()).toBe(false);

    const web = await process().runtime('default');
    await web.risk.halt('audit', 1_000);

    await sessionSaves(trader, 1, 1_010); // the trader still holds "not halted" in memory
    expect(trader.risk.engine().isHalted()).toBe(false);
    const stored = await riskState.load('default');
    expect(stored).toMatchObject({ halted: true, haltReason: 'manual: audit', haltedAtMs: T0, haltVersion: 2 });

    await trader.syncControl(); // the next candle's read
    expect(trader.risk.engine().isHalted()).toBe(true);
    expect(trader.risk.engine().state().haltReason).toBe('manual: audit');
    await sessionSaves(trader, 2, 1_020);
    expect(await riskState.load('default')).toMatchObject({ halted: true, haltReason: 'manual: audit', peakEquity: 1_020, updatedAtMs: T0 + 2 * TF, haltVersion: 2 });
  });

  it('keeps a resume written between the session read and its save', async () => {
    const trader = await traderAfterFirstCandle();
    await trader.risk.halt('audit', 1_000);
    const web = await process().runtime('default');
    expect(web.risk.engine().isHalted()).toBe(true);
    await trader.syncControl();

    await web.risk.resume(1_000);
    await sessionSaves(trader, 1, 1_010);
    expect(await riskState.load('default')).toMatchObject({ halted: false, haltReason: null, haltedAtMs: null, haltVersion: 3 });
    await trader.syncControl();
    expect(trader.risk.engine().isHalted()).toBe(false);
  });

  it('writes only the halt from another process: the session keeps its day start and peak, and re-bases them on resume', async () => {
    const web = await process().runtime('default'); // built before any risk state was stored: no day start or peak
    const trader = await traderAfterFirstCandle(); // day start and peak 1,000 at T0
    await sessionSaves(trader, 1, 1_030); // peak 1,030
    await web.risk.halt('audit', 990); // the web's copy would make day start and peak 990

    expect(await riskState.load('default')).toMatchObject({
      halted: true,
      haltReason: 'manual: audit',
      haltedAtMs: T0 + TF,
      dayStartEquity: 1_000,
      dayStartMs: T0,
      peakEquity: 1_030,
      haltVersion: 2,
    });
    await trader.syncControl();
    expect(trader.risk.engine().state()).toMatchObject({ halted: true, haltReason: 'manual: audit', dayStartEquity: 1_000, peakEquity: 1_030 });

    await web.risk.resume(990);
    // A resume clears day start and peak: wherever the account trades next re-bases them at its next equity.
    expect(await riskState.load('default')).toMatchObject({ halted: false, haltReason: null, haltedAtMs: null, dayStartEquity: 1_000, dayStartMs: 0, peakEquity: 0, haltVersion: 3 });
    // The trader adopts the resume as its own: day start and peak re-based to its last equity, 1,030.
    await trader.syncControl();
    expect(trader.risk.engine().state()).toMatchObject({ halted: false, dayStartEquity: 1_030, peakEquity: 1_030 });
    await sessionSaves(trader, 2, 1_020);
    expect(await riskState.load('default')).toMatchObject({ halted: false, dayStartEquity: 1_030, peakEquity: 1_030, updatedAtMs: T0 + 2 * TF, haltVersion: 3 });
  });

  it('lets a session started after a resume trade from its own equity, not trip again on the figures before it', async () => {
    const trader = await traderAfterFirstCandle(); // day start 1,000
    await sessionSaves(trader, 1, 949); // 5.1 % below the day start: the daily loss breaker halts
    expect(await riskState.load('default')).toMatchObject({ halted: true, dayStartEquity: 1_000, haltVersion: 2 });
    // The session is gone; an operator resumes from a web server whose copy of the account is older.
    const web = await process().runtime('default');
    await web.risk.resume(1_000);
    expect(await riskState.load('default')).toMatchObject({ halted: false, dayStartEquity: 1_000, dayStartMs: 0, peakEquity: 0, haltVersion: 3 });

    // Later the same day a trader starts a session of the account: its first equity, 945, is 5.5 % below the
    // day start the breaker tripped on, yet it is the new day start and peak, and the account trades.
    const next = await process().runtime('default');
    await sessionSaves(next, 2, 945);
    expect(next.risk.engine().isHalted()).toBe(false);
    expect(next.risk.engine().state()).toMatchObject({ halted: false, dayStartEquity: 945, dayStartMs: T0, peakEquity: 945 });
    expect(await riskState.load('default')).toMatchObject({ halted: false, dayStartEquity: 945, dayStartMs: T0, peakEquity: 945, haltVersion: 3 });
    // From there the breaker counts again: 897 is 5.1 % below 945.
    await sessionSaves(next, 3, 897);
    expect(next.risk.engine().state().haltReason).toMatch(/^daily_loss: equity 897 is 5\.0\d*% below day start 945/);
  });

  it('stores the session equity curve and a breaker trip of its own when nobody else wrote', async () => {
    const trader = await traderAfterFirstCandle();
    await sessionSaves(trader, 1, 1_030);
    expect(await riskState.load('default')).toMatchObject({ halted: false, dayStartEquity: 1_000, peakEquity: 1_030, updatedAtMs: T0 + TF, haltVersion: 1 });
    // 949 is 5.1 % below the day start of 1,000: the daily loss breaker halts, and the save stores it.
    await sessionSaves(trader, 2, 949);
    expect(trader.risk.engine().isHalted()).toBe(true);
    const stored = await riskState.load('default');
    expect(stored).toMatchObject({ halted: true, haltedAtMs: T0 + 2 * TF, haltVersion: 2 });
    expect(stored?.haltReason).toMatch(/^daily_loss: equity 949 /);
  });
});

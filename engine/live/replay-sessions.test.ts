import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/clock';
import type { Clock } from '../core/clock';
import type { DecisionRecord } from '../ports/journal';
import { createAccountBook } from '../account/account-book';
import { createJournalWriter } from '../journal/journal-writer';
import {
  createInMemoryAccountRepository,
  createInMemoryCandleRepository,
  createInMemoryJournalRepository,
  createInMemoryRiskStateRepository,
  createInMemorySettingsRepository,
  toColumns,
} from '../testing/in-memory-repositories';
import { createLiveSessionManager } from './live-session-manager';
import { createInMemoryLiveSessionStore } from '../testing/in-memory-live-session-store';
import { waveCandles } from '../testing/wave-candles';
import { VALUE_AT_RISK_DEFAULTS } from '../risk/risk-engine';

const TF = 300_000;
const T0 = Date.UTC(2024, 0, 1);
const N = 3_000;
const wave = (phase: number) => waveCandles({ count: N, phase, startMs: T0, timeframeMs: TF });

async function setup(shared?: { store: ReturnType<typeof createInMemoryLiveSessionStore>; candles: ReturnType<typeof createInMemoryCandleRepository> }) {
  const clock: Clock = { nowMs: () => Date.now() };
  const candles = shared?.candles ?? createInMemoryCandleRepository();
  if (!shared) {
    await candles.insertCandles({ exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' }, toColumns(wave(0)));
    await candles.insertCandles({ exchange: 'binance', symbol: 'ETH/USDT', timeframe: '5m' }, toColumns(wave(1.3)));
  }
  const riskState = createInMemoryRiskStateRepository();
  const journalRepo = createInMemoryJournalRepository();
  const journal = createJournalWriter({ batchSize: 50 }, { repository: journalRepo, logger: silentLogger });
  const accounts = createAccountBook({
    clock,
    logger: silentLogger,
    accounts: createInMemoryAccountRepository(riskState),
    riskState,
    settings: createInMemorySettingsRepository(),
    candles,
    defaultRiskLimits: async () => ({ maxLeverage: 5, maxLossPctEquityPerTrade: 2, riskPerTradePct: 0.5, maxSymbolExposurePct: 200, maxOpenPositions: 2, atrStopMultiple: 2, dailyLossLimitPct: 50, maxDrawdownPct: 90, feeRateBps: 0, ...VALUE_AT_RISK_DEFAULTS }),
  });
  await accounts.create({ id: 'desk', name: 'Desk', marketType: 'futures', initialBalance: 10_000, leverage: 3, maxVolumeShare: 1 }, 'test');
  const store = shared?.store ?? createInMemoryLiveSessionStore();
  const manager = createLiveSessionManager({
    clock,
    logger: silentLogger,
    store,
    accounts,
    feedFor: () => {
      throw new Error('a replay needs no venue feed');
    },
    candles,
    realVenueFor: async () => ({ ok: false, reason: 'no venue in this test' }),
    journal,
    veto: () => null,
    newId: (() => {
      let n = 0;
      return () => `d${++n}`;
    })(),
    sleep: async () => undefined,
    random: () => 0.5,
  });
  const decisions = async (): Promise<DecisionRecord[]> => {
    await journal.flush();
    return (await journalRepo.listDecisions({ limit: 1000 })).items;
  };
  return { manager, accounts, store, decisions, candles, riskState };
}

const replay = (symbol: string, speed: number | 'max' = 400) => ({
  accountId: 'desk',
  mode: 'replay',
  exchange: 'binance',
  symbol,
  timeframe: '5m',
  strategies: ['ma-crossover'],
  params: { 'ma-crossover': { fastPeriod: 3, slowPeriod: 8 } },
  // Alerts are an input too (weight 1), so a lone strategy's signal needs a low threshold to act.
  fusion: { entryThreshold: 0.05 },
  from: T0 + 400 * TF,
  speed,
  veto: 'off',
  decisionDetail: 'signals',
});

const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

const entriesOf = (rows: DecisionRecord[], symbol: string) => rows.filter((d) => d.symbol === symbol && d.outcome === 'executed' && d.reason.startsWith('entered'));

describe('replay sessions on one account', () => {
  it('a halt stops entries in both sessions by their next candle; resume lets them trade again', async () => {
    const { manager, accounts, decisions } = await setup();
    const btc = await manager.start(replay('BTC/USDT'));
    const eth = await manager.start(replay('ETH/USDT'));
    expect(btc.id).toBe('replay:desk:binance:BTC/USDT:5m');
    await until('entries in both sessions', async () => {
      const rows = await decisions();
      return entriesOf(rows, 'BTC/USDT').length >= 2 && entriesOf(rows, 'ETH/USDT').length >= 2;
    });
    await accounts.halt('desk', 'test halt');
    // The candle each session was on when the halt was stored: nothing may enter after the next one.
    const atHalt = new Map((await manager.list()).map((s) => [s.symbol, s.state?.lastCandleMs ?? 0]));
    await until('denials while halted', async () => {
      const rows = await decisions();
      return ['BTC/USDT', 'ETH/USDT'].every((symbol) => rows.some((d) => d.symbol === symbol && d.outcome === 'denied' && d.reason === 'halted: manual: test halt'));
    });
    const haltedRows = await decisions();
    for (const symbol of ['BTC/USDT', 'ETH/USDT']) {
      const late = entriesOf(haltedRows, symbol).filter((d) => d.timeMs > atHalt.get(symbol)! + 2 * TF);
      expect(late, `${symbol} entries after the halt`).toEqual([]);
    }
    const resumedAt = new Map((await manager.list()).map((s) => [s.symbol, s.state?.lastCandleMs ?? 0]));
    await accounts.resume('desk');
    await until('entries after the resume', async () => {
      const rows = await decisions();
      return ['BTC/USDT', 'ETH/USDT'].every((symbol) => entriesOf(rows, symbol).some((d) => d.timeMs > resumedAt.get(symbol)! + TF));
    });
    // Shared capital: both sessions' positions are on the one account, within its caps.
    const view = await accounts.view('desk');
    expect(view.positions.length).toBeLessThanOrEqual(2);
    await manager.stopAll();
  });

  it('refuses a replay without stored candles at its start, a second session on the same symbol, and futures markets on a spot account', async () => {
    const { manager, accounts } = await setup();
    await expect(manager.start({ ...replay('BTC/USDT'), from: T0 + N * TF })).rejects.toThrow(/field "from" was .*no stored candles of binance BTC\/USDT 5m start at or after it: they cover 2024-01-01T00:00:00.000Z to /);
    await expect(manager.start({ ...replay('XRP/USDT') })).rejects.toThrow(/field "symbol" was "XRP\/USDT": no candles are stored for binance XRP\/USDT 5m/);
    await expect(manager.start({ ...replay('BTC/USDT'), from: undefined })).rejects.toThrow(/field "from" was undefined: a replay session needs a start time/);
    await expect(manager.start({ ...replay('BTC/USDT'), accountId: 'nope' })).rejects.toThrow(/account "nope" does not exist/);
    const first = await manager.start(replay('BTC/USDT', 1));
    // The same request again is the same session; another session of the account on the symbol is refused.
    await expect(manager.start(replay('BTC/USDT', 1))).resolves.toMatchObject({ id: first.id });
    await expect(manager.start({ ...replay('BTC/USDT', 1), timeframe: '1h' })).rejects.toThrow(
      /field "symbol" was "BTC\/USDT": account "desk" already trades BTC\/USDT in session "replay:desk:binance:BTC\/USDT:5m"/,
    );
    await accounts.create({ id: 'cash', name: 'Cash', marketType: 'spot', initialBalance: 1_000 }, 'test');
    await expect(manager.start({ ...replay('BTC/USDT', 1), accountId: 'cash', exchange: 'binanceusdm' })).rejects.toThrow(
      /field "accountId" was "cash": account "cash" is a spot account and Binance USDⓈ-M perpetuals trades perpetual futures/,
    );
    await manager.stopAll();
  });

  it('a stop asked by another process ends the session in its owner before its next candle', async () => {
    const owner = await setup();
    const other = await setup({ store: owner.store, candles: owner.candles });
    const started = await owner.manager.start(replay('BTC/USDT', 20));
    await until('a few candles', async () => ((await owner.manager.list())[0].state?.candlesProcessed ?? 0) >= 3);
    const lastBeforeAsk = (await owner.manager.list())[0].state!.lastCandleMs!;
    const asked = await other.manager.stop(started.id);
    expect(asked.status).toBe('stopping');
    await until('the owner stops it', async () => owner.store.records.get(started.id)?.status === 'stopped', 5_000);
    expect((await owner.manager.list())[0].state).toBeNull();
    // Within one candle: the owner finished at most the candle it was on when the request was stored.
    const checkpoint = owner.store.records.get(started.id)!.lastCandleMs!;
    expect(checkpoint - lastBeforeAsk).toBeLessThanOrEqual(TF);
    await new Promise((r) => setTimeout(r, 300));
    expect(owner.store.records.get(started.id)!.lastCandleMs).toBe(checkpoint);
  });

  it('completes at the end of the stored candles and stores the account after every candle', async () => {
    const { manager, accounts, store, riskState, candles } = await setup();
    // Every read of stored candles (the replay's feed reads ahead, not one query a candle).
    const reads: [number, number][] = [];
    const load = candles.loadCandles.bind(candles);
    candles.loadCandles = async (key, fromMs, toMs) => {
      reads.push([fromMs, toMs]);
      return load(key, fromMs, toMs);
    };
    // Every write of the account's risk state (the paper account stores it with its paper state).
    const writes: number[] = [];
    const save = riskState.save.bind(riskState);
    riskState.save = async (state) => {
      writes.push(state.updatedAtMs);
      await save(state);
    };
    const started = await manager.start({ ...replay('BTC/USDT', 'max'), from: T0 + (N - 200) * TF });
    await until('completion', async () => store.records.get(started.id)?.status === 'completed');
    // One writer: one write a candle, 200 (the session stored the same row again after the account: 400).
    expect(writes.length).toBe(200);
    // The warm-up's 300 candles and the 200 replayed in one read of 500 (REPLAY_READ_AHEAD_CANDLES): one query, not one a candle.
    expect(reads).toEqual([[T0 + (N - 500) * TF, T0 + N * TF]]);
    expect(store.records.get(started.id)?.lastCandleMs).toBe(T0 + (N - 1) * TF);
    // Asked to stop after it ended (the CLI does), it answers how it ended: all 200 candles of the replay.
    expect(await manager.stop(started.id)).toMatchObject({ status: 'completed', candlesProcessed: 200, lastCandleMs: T0 + (N - 1) * TF });
    const view = await accounts.view('desk');
    expect(view.totals.fees).toBeGreaterThan(0);
  });
});

describe('reading one session', () => {
  it('returns the stored record with its running state, the stored record alone once stopped, and null for an unknown id', async () => {
    const { manager } = await setup();
    const started = await manager.start(replay('BTC/USDT', 50));
    const running = await manager.get(started.id);
    expect(running).toMatchObject({ id: 'replay:desk:binance:BTC/USDT:5m', exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', status: 'running' });
    expect(running?.state).toMatchObject({ id: started.id, market: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' } });
    await manager.stop(started.id);
    expect(await manager.get(started.id)).toMatchObject({ id: started.id, status: 'stopped', state: null });
    expect(await manager.get('replay:desk:binance:DOGE/USDT:5m')).toBeNull();
  });
});

/**
 * Candle coverage (`CandleRepository.summarizeCoverage`): count versus the candles expected between the
 * first and last stored open time, and the largest gaps, computed by the store. One suite, run against
 * the in-memory repository, embedded PGlite and PostgreSQL, with hand-computed expectations; the
 * real-data part reads the shared data folder (/work/shared/data, or AETHELRED_SHARED_DATA) and says so
 * when it is absent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCandleRepository } from '../../db/repositories/candle-repository';
import { candleColumnsFromRows, type MarketKey } from '../../engine/core/types';
import { ValidationError } from '../../engine/core/errors';
import { parseCandleCsv } from '../../engine/market/candle-csv';
import type { CandleRepository } from '../../engine/ports/candles';
import { createInMemoryCandleRepository } from '../../engine/testing/in-memory-repositories';
import { sharedDataDir, sharedDataFile } from '../support/ml-candles';
import { TEST_DATABASE_BACKENDS } from '../support/ml-databases';

const T0 = Date.UTC(2024, 0, 1);
const M5 = 300_000;
const H1 = 3_600_000;

function rows(times: number[]) {
  return candleColumnsFromRows(times.map((openTimeMs) => ({ openTimeMs, open: 10, high: 11, low: 9, close: 10.5, volume: 1 })));
}

const FIVE: MarketKey = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' };
const HOUR: MarketKey = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
const SINGLE: MarketKey = { exchange: 'binance', symbol: 'ETH/USDT', timeframe: '1d' };
const TIES: MarketKey = { exchange: 'kraken', symbol: 'BTC/USDC', timeframe: '1m' };

const BACKENDS: { name: string; open(): Promise<{ repo: CandleRepository; dispose(): Promise<void> }> }[] = [
  { name: 'in-memory', open: async () => ({ repo: createInMemoryCandleRepository(), dispose: async () => undefined }) },
  ...TEST_DATABASE_BACKENDS.map((b) => ({
    name: b.name,
    async open() {
      const { database, dispose } = await b.open();
      return { repo: createCandleRepository(database.db), dispose };
    },
  })),
];

describe.each(BACKENDS)('candle coverage on $name', (backend) => {
  let repo: CandleRepository;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ repo, dispose } = await backend.open());
  });
  afterAll(async () => {
    await dispose?.();
  });

  it('lists nothing for an empty store', async () => {
    expect(await repo.summarizeCoverage(3)).toEqual([]);
  });

  it('counts missing candles and returns the largest gaps first, computed by hand', async () => {
    // 5m slots 0, 1, 2, 5, 6, 10, 11, 12, 20 of 0..20: 21 expected, 9 stored, 12 missing in 3 gaps
    // (slots 3-4: 2, slots 7-9: 3, slots 13-19: 7).
    await repo.insertCandles(FIVE, rows([0, 1, 2, 5, 6, 10, 11, 12, 20].map((k) => T0 + k * M5)));
    // 1h: four consecutive candles, no gap.
    await repo.insertCandles(HOUR, rows([0, 1, 2, 3].map((k) => T0 + k * H1)));
    // One candle: one expected, none missing.
    await repo.insertCandles(SINGLE, rows([T0]));
    // 1m slots 0, 3, 4, 7: two gaps of 2 each; the tie goes to the earlier one.
    await repo.insertCandles(TIES, rows([0, 3, 4, 7].map((k) => T0 + k * 60_000)));

    const coverage = await repo.summarizeCoverage(2);
    expect(coverage).toEqual([
      {
        ...HOUR,
        count: 4,
        firstOpenTimeMs: T0,
        lastOpenTimeMs: T0 + 3 * H1,
        expectedCount: 4,
        missingCount: 0,
        gapCount: 0,
        largestGaps: [],
      },
      {
        ...FIVE,
        count: 9,
        firstOpenTimeMs: T0,
        lastOpenTimeMs: T0 + 20 * M5,
        expectedCount: 21,
        missingCount: 12,
        gapCount: 3,
        largestGaps: [
          { afterOpenTimeMs: T0 + 12 * M5, beforeOpenTimeMs: T0 + 20 * M5, missing: 7 },
          { afterOpenTimeMs: T0 + 6 * M5, beforeOpenTimeMs: T0 + 10 * M5, missing: 3 },
        ],
      },
      { ...SINGLE, count: 1, firstOpenTimeMs: T0, lastOpenTimeMs: T0, expectedCount: 1, missingCount: 0, gapCount: 0, largestGaps: [] },
      {
        ...TIES,
        count: 4,
        firstOpenTimeMs: T0,
        lastOpenTimeMs: T0 + 7 * 60_000,
        expectedCount: 8,
        missingCount: 4,
        gapCount: 2,
        largestGaps: [
          { afterOpenTimeMs: T0, beforeOpenTimeMs: T0 + 3 * 60_000, missing: 2 },
          { afterOpenTimeMs: T0 + 4 * 60_000, beforeOpenTimeMs: T0 + 7 * 60_000, missing: 2 },
        ],
      },
    ]);
  });

  it('returns every count but no gap ranges when none are asked for, and refuses an out-of-range request', async () => {
    const five = (await repo.summarizeCoverage(0)).find((c) => c.timeframe === '5m')!;
    expect(five).toMatchObject({ missingCount: 12, gapCount: 3, largestGaps: [] });
    await expect(repo.summarizeCoverage(101)).rejects.toBeInstanceOf(ValidationError);
    await expect(repo.summarizeCoverage(-1)).rejects.toBeInstanceOf(ValidationError);
  });

  it('filling a gap shrinks the missing count by the candles added', async () => {
    await repo.insertCandles(FIVE, rows([13, 14, 15].map((k) => T0 + k * M5)));
    const five = (await repo.summarizeCoverage(5)).find((c) => c.timeframe === '5m')!;
    // Slots 16-19 remain of the 7-slot gap.
    expect(five).toMatchObject({ count: 12, expectedCount: 21, missingCount: 9, gapCount: 3 });
    expect(five.largestGaps[0]).toEqual({ afterOpenTimeMs: T0 + 15 * M5, beforeOpenTimeMs: T0 + 20 * M5, missing: 4 });
  });

  it('agrees with the shared data README on real Binance ADA/BTC 5m candles (40 missing in 5 gaps)', async () => {
    const file = sharedDataFile('binance_ADA-BTC_5m.csv');
    if (!file) {
      console.log(`candle-coverage: binance_ADA-BTC_5m.csv not found under ${sharedDataDir() ?? process.env.AETHELRED_SHARED_DATA ?? '/work/shared/data'}; the real-data check is skipped`);
      return;
    }
    const key: MarketKey = { exchange: 'binance', symbol: 'ADA/BTC', timeframe: '5m' };
    const { columns } = await parseCandleCsv(file, '5m');
    await repo.insertCandles(key, columns);
    const ada = (await repo.summarizeCoverage(5)).find((c) => c.symbol === 'ADA/BTC')!;
    expect(ada).toMatchObject({ count: 5_720, firstOpenTimeMs: 1_515_560_100_000, lastOpenTimeMs: 1_517_287_800_000, expectedCount: 5_760, missingCount: 40, gapCount: 5 });
    expect(ada.largestGaps.reduce((sum, g) => sum + g.missing, 0)).toBe(40);
    for (const gap of ada.largestGaps) expect((gap.beforeOpenTimeMs - gap.afterOpenTimeMs) / M5 - 1).toBe(gap.missing);
  });
});

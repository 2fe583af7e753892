/**
 * The regime, volatility and stop-distance models in the loop, through `runBacktest` with stub models
 * behind the `LoopModelSource` port: each option changes the decision it should (the size through the risk
 * budget, or the stop) and nothing else; off is today's run.
 *
 * The stubs read one feature of the vector the loop feeds them; the tests recompute that feature from the
 * raw candles (the vector is float32, hence `Math.fround`), so the expected multiplier, scale or stop of
 * every entry is derived independently of the loop.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/clock';
import type { CandleColumns } from '../core/types';
import type { DecisionRecord } from '../ports/journal';
import { createFeatureExtractor } from '../features/feature-extractor';
import {
  modelStopPrice,
  volatilityScale,
  type LoopModels,
  type LoopModelSource,
  type LoopModelsSpec,
  type RegimeModel,
  type StopDistanceModel,
  type VolatilityModel,
} from '../decision/loop-models';
import { INTENT_FEATURE_NAMES, MARKET_FEATURE_NAMES } from '../ml/market-features';
import { createInMemoryBacktestRunRepository, createInMemoryCandleRepository, createInMemoryJournalRepository, toColumns } from '../testing/in-memory-repositories';
import { runBacktest, type BacktestResult } from './run-backtest';

const T0 = Date.UTC(2024, 0, 1);
const FIVE_MIN = 300_000;
const N = 3_000;
const RISK_PCT = 0.5;

/** Two overlaid waves plus drift (as run-backtest.test.ts), with ample volume so no fill is volume-capped. */
function syntheticCandles(n: number): CandleColumns {
  const rows = [];
  let prev = 100;
  for (let i = 0; i < n; i++) {
    const close = 100 * (1 + 0.08 * Math.sin(i / 40) + 0.03 * Math.sin(i / 7) + 0.0001 * i);
    rows.push({ openTimeMs: T0 + i * FIVE_MIN, open: prev, high: Math.max(prev, close) * 1.001, low: Math.min(prev, close) * 0.999, close, volume: 1e9 });
    prev = close;
  }
  return toColumns(rows);
}

const CANDLES = syntheticCandles(N);
const closeAt = (i: number) => CANDLES.close[i];
/** Row of the candle whose close time is `timeMs`. */
const rowOf = (timeMs: number) => (timeMs - FIVE_MIN - T0) / FIVE_MIN;

/** The regime stub: trend-up when ln(close/close 16 back) > 1 %, trend-down below -1 %, else range. */
const regimeByReturn = (logReturn16: number): 'trendUp' | 'trendDown' | 'range' => (logReturn16 > 0.01 ? 'trendUp' : logReturn16 < -0.01 ? 'trendDown' : 'range');
const stubRegime: RegimeModel = {
  version: 'regime@v7',
  featureNames: MARKET_FEATURE_NAMES,
  predictRegimeProbabilities: async (x) => {
    const r = regimeByReturn(x[2]);
    return r === 'trendUp' ? [0.8, 0.1, 0.1] : r === 'trendDown' ? [0.1, 0.8, 0.1] : [0.2, 0.2, 0.6];
  },
};
/** The volatility stub: |ln(close/previous close)| + 0.2 %. */
const stubVolatility: VolatilityModel = { version: 'volatility@v2', featureNames: MARKET_FEATURE_NAMES, predictVolatility: async (x) => Math.abs(x[0]) + 0.002 };
/** The stop stub: 2 ATRs for a long, 1 for a short (1.5 + 0.5 x side). */
const stubStop: StopDistanceModel = { version: 'stop-distance@v4', featureNames: INTENT_FEATURE_NAMES, predictStopDistanceAtr: async (x) => 1.5 + 0.5 * x[0] };

/** A model source over the stubs, with the versions "deployed" resolves to. */
function stubSource(deployed: { regime?: number; volatility?: number; 'stop-distance'?: number } = { regime: 7, volatility: 2, 'stop-distance': 4 }): LoopModelSource & { loaded: LoopModelsSpec[] } {
  const loaded: LoopModelsSpec[] = [];
  return {
    loaded,
    deployedVersion: (kind) => deployed[kind] ?? null,
    load: async (spec): Promise<LoopModels> => {
      loaded.push(spec);
      return { regime: spec.regime ? stubRegime : null, volatility: spec.volatility ? stubVolatility : null, stopDistance: spec.stopDistance ? stubStop : null };
    },
    files: async () => {
      throw new Error('backtests load their models; files are for study trials');
    },
  };
}

const request = {
  exchange: 'test',
  symbol: 'SYN/USDT',
  timeframe: '5m',
  from: T0,
  to: T0 + N * FIVE_MIN,
  strategies: ['ma-crossover', 'rsi-mean-reversion', 'ema-trend', 'donchian-breakout'],
  fusion: { entryThreshold: 0.25 },
  decisionDetail: 'signals' as const,
  // Caps and breakers far away, so the size is the risk budget alone and no breaker depends on it.
  risk: { riskPerTradePct: RISK_PCT, maxLeverage: 50, maxSymbolExposurePct: 5_000, maxLossPctEquityPerTrade: 100, dailyLossLimitPct: 100, maxDrawdownPct: 100 },
  paper: { marketType: 'futures', leverage: 20, maxVolumeShare: 1 },
};

async function run(extra: Record<string, unknown>, source: LoopModelSource | null = stubSource()) {
  const candles = createInMemoryCandleRepository();
  await candles.insertCandles({ exchange: 'test', symbol: 'SYN/USDT', timeframe: '5m' }, CANDLES);
  const journal = createInMemoryJournalRepository();
  const runs = createInMemoryBacktestRunRepository();
  let id = 0;
  const result = await runBacktest({ ...request, ...extra }, { candles, journal, runs, logger: silentLogger, newId: () => `id-${++id}`, loopModels: source });
  return { result, decisions: journal.decisions.slice().sort((a, b) => a.timeMs - b.timeMs), stored: await runs.get(result.runId) };
}

const isEntry = (d: DecisionRecord) => d.outcome === 'executed' && d.reason.startsWith('entered');
const estLossPct = (d: DecisionRecord) => (d.inputs.risk as { name: string; value: number }[]).find((c) => c.name === 'est_loss_pct_equity')!.value;
const stopOf = (d: DecisionRecord) => Number(/, stop (\S+)$/.exec(d.reason)![1]);
/** A decision without what sizing changes: the amount in the reason, the risk check values, the models' record. */
function unsized(d: DecisionRecord) {
  const { risk: _risk, models: _models, ...inputs } = d.inputs as Record<string, unknown>;
  return { timeMs: d.timeMs, outcome: d.outcome, side: d.side, strength: d.strength, strategy: d.strategy, reason: d.reason.replace(/^entered (long|short) \S+/, 'entered $1 <amount>'), inputs };
}
/**
 * Asserts two trade lists are the same round trips but for their size (amount, PnL and fees scale with it):
 * same sides, times and exit reasons; fill prices equal to 1e-9 (a fill's average price is computed from
 * its amount, so its last bits may differ).
 */
function expectSameTradesButSize(on: BacktestResult['trades'], off: BacktestResult['trades']): void {
  const shape = (t: BacktestResult['trades'][number]) => ({ side: t.side, entryTimeMs: t.entryTimeMs, exitTimeMs: t.exitTimeMs, exitReason: t.exitReason });
  expect(on.map(shape)).toEqual(off.map(shape));
  on.forEach((t, k) => {
    expect(t.entryPrice).toBeCloseTo(off[k].entryPrice, 9);
    expect(t.exitPrice).toBeCloseTo(off[k].exitPrice, 9);
  });
}

describe('models in the loop (stub models behind the LoopModelSource port)', () => {
  it('runs without models exactly as before the option: same trades, decisions and stored config', async () => {
    const today = await run({}, null);
    for (const off of [{ models: {} }, { models: { regime: false, volatility: null, stopDistance: false } }]) {
      const again = await run(off);
      expect(again.result.trades).toEqual(today.result.trades);
      expect(again.result.finalEquity).toBe(today.result.finalEquity);
      expect(again.decisions.map(unsized)).toEqual(today.decisions.map(unsized));
      expect(again.result.config).toEqual(today.result.config);
      expect(again.result.config).not.toHaveProperty('models');
    }
    expect(today.result.trades.length).toBeGreaterThan(10);
  });

  it('regime: scales each entry’s risk by the multiplier of the regime on its candle and changes nothing else', async () => {
    const off = await run({});
    const multiplier = { trendUp: 1, trendDown: 0.25, range: 0.5 };
    const on = await run({ models: { regime: { riskMultiplier: multiplier } } });

    expect(on.decisions.map(unsized)).toEqual(off.decisions.map(unsized));
    expectSameTradesButSize(on.result.trades, off.result.trades);
    const entries = on.decisions.filter(isEntry);
    expect(entries.length).toBeGreaterThan(10);
    const seen = new Set<string>();
    for (const d of entries) {
      const i = rowOf(d.timeMs);
      const regime = regimeByReturn(Math.fround(Math.log(closeAt(i) / closeAt(i - 16))));
      seen.add(regime);
      // Sizing makes the loss at the stop equal the budget: riskPerTradePct x multiplier of equity.
      expect(estLossPct(d)).toBeCloseTo(RISK_PCT * multiplier[regime], 9);
      expect(d.inputs.models).toMatchObject({ regime: { modelVersion: 'regime@v7', regime, riskMultiplier: multiplier[regime] } });
    }
    expect(seen.size).toBe(3);
    for (const d of off.decisions.filter(isEntry)) expect(estLossPct(d)).toBeCloseTo(RISK_PCT, 9);
    // The run records the version "deployed" meant at its start.
    expect(on.result.config.models).toEqual({ regime: { version: 7, riskMultiplier: multiplier }, volatility: null, stopDistance: null });
    expect(on.stored?.config.models).toEqual(on.result.config.models);
  });

  it('regime: a multiplier of 0 denies entries in that regime, naming it', async () => {
    const off = await run({});
    const on = await run({ models: { regime: { riskMultiplier: { trendUp: 1, trendDown: 1, range: 0 } } } });
    const firstRange = off.decisions.filter(isEntry).find((d) => regimeByReturn(Math.fround(Math.log(closeAt(rowOf(d.timeMs)) / closeAt(rowOf(d.timeMs) - 16)))) === 'range')!;
    expect(firstRange).toBeDefined();
    const denied = on.decisions.find((d) => d.timeMs === firstRange.timeMs && d.outcome !== 'executed')!;
    expect(denied.outcome).toBe('denied');
    expect(denied.reason).toBe('regime range (model regime@v7): no entries in this regime (risk multiplier 0)');
    // Up to that candle the runs decide alike.
    const before = (ds: DecisionRecord[]) => ds.filter((d) => d.timeMs < firstRange.timeMs).map(unsized);
    expect(before(on.decisions)).toEqual(before(off.decisions));
    expect(on.decisions.filter(isEntry).every((d) => (d.inputs.models as { regime: { regime: string } }).regime.regime !== 'range')).toBe(true);
  });

  it('volatility: sizes each entry by base x clamp(target / predicted, min, max) and changes nothing else', async () => {
    const off = await run({});
    // Predictions span 0.2 %..0.8 %, so 0.3 % / predicted spans 0.375..1.5: entries below, inside and above the clamp.
    const option = { targetVolatility: 0.003, minScale: 0.5, maxScale: 0.9 };
    const on = await run({ models: { volatility: option } });

    expect(on.decisions.map(unsized)).toEqual(off.decisions.map(unsized));
    expectSameTradesButSize(on.result.trades, off.result.trades);
    const entries = on.decisions.filter(isEntry);
    const scales = new Set<number>();
    for (const d of entries) {
      const i = rowOf(d.timeMs);
      const predicted = Math.abs(Math.fround(Math.log(closeAt(i) / closeAt(i - 1)))) + 0.002;
      const raw = 0.003 / predicted;
      const scale = raw < 0.5 ? 0.5 : raw > 0.9 ? 0.9 : raw;
      scales.add(scale === 0.5 ? -1 : scale === 0.9 ? 1 : 0);
      expect(estLossPct(d)).toBeCloseTo(RISK_PCT * scale, 9);
      expect(d.inputs.models).toMatchObject({ volatility: { modelVersion: 'volatility@v2', targetVolatility: 0.003 } });
      expect((d.inputs.models as { volatility: { scale: number } }).volatility.scale).toBeCloseTo(scale, 12);
    }
    expect(scales.size).toBe(3);
    expect(on.result.config.models).toEqual({ regime: null, volatility: { version: 2, ...option }, stopDistance: null });
  });

  it('stop distance: puts each entry’s stop at entry -/+ multiple x predicted ATRs and leaves the signals alone', async () => {
    const off = await run({});
    const on = await run({ models: { stopDistance: { multiple: 1.2 } } });
    const atr = createFeatureExtractor({ atr: [14] }, N);
    for (let i = 0; i < N; i++) atr.pushFrom(CANDLES, i);

    const entries = on.decisions.filter(isEntry);
    expect(entries.length).toBeGreaterThan(10);
    const sides = new Set<string>();
    for (const d of entries) {
      const i = rowOf(d.timeMs);
      const side = d.side === 'long' ? 1 : -1;
      sides.add(d.side);
      const predicted = 1.5 + 0.5 * side;
      expect(stopOf(d)).toBeCloseTo(closeAt(i) - side * 1.2 * predicted * atr.atr[14][i], 9);
      expect(d.inputs.models).toMatchObject({ stopDistance: { modelVersion: 'stop-distance@v4', predictedAtr: predicted } });
    }
    expect(sides).toEqual(new Set(['long', 'short']));
    // The first entry is taken on the same candle, same side, same signal; only its stop (and so its size) differs.
    const [a, b] = [off.decisions.find(isEntry)!, entries[0]];
    expect({ ...unsized(b), reason: '' }).toEqual({ ...unsized(a), reason: '' });
    expect(stopOf(b)).not.toBeCloseTo(stopOf(a), 6);
    // Every signal decision before the first entry is identical.
    const before = (ds: DecisionRecord[]) => ds.filter((d) => d.timeMs < a.timeMs).map(unsized);
    expect(before(on.decisions)).toEqual(before(off.decisions));
    expect(on.result.config.models).toEqual({ regime: null, volatility: null, stopDistance: { version: 4, multiple: 1.2, minAtr: 0.5 } });
  });

  it('pins a named version as given and loads it once per run', async () => {
    const source = stubSource();
    const { result } = await run({ models: { regime: { version: 3 }, volatility: { version: 'deployed', targetVolatility: 0.01 } } }, source);
    expect(source.loaded).toEqual([
      {
        regime: { version: 3, riskMultiplier: { trendUp: 1, trendDown: 1, range: 0.5 } },
        volatility: { version: 2, targetVolatility: 0.01, minScale: 0.25, maxScale: 1 },
        stopDistance: null,
      },
    ]);
    expect(result.config.models).toEqual(source.loaded[0]);
  });

  it('refuses a model option naming a kind that is not deployed, naming the field and value', async () => {
    await expect(run({ models: { volatility: { targetVolatility: 0.01 } } }, stubSource({ regime: 1 }))).rejects.toThrow(
      'field "models.volatility" was "deployed": no volatility model is deployed; train and deploy one on the Models page or run without it',
    );
    await expect(run({ models: { regime: true } }, null)).rejects.toThrow(
      'field "models.regime" was "deployed": no regime model is deployed; train and deploy one on the Models page or run without it',
    );
    await expect(run({ models: { stopDistance: true } }, stubSource({}))).rejects.toThrow('field "models.stopDistance" was "deployed": no stop-distance model is deployed');
  });

  it('refuses out-of-range parameters, naming the field and value', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ regime: { riskMultiplier: { range: 1.5 } } }, 'field "models.regime.riskMultiplier.range" was 1.5: expected a multiplier in 0..1'],
      [{ regime: { riskMultiplier: { trendUp: -0.1 } } }, 'field "models.regime.riskMultiplier.trendUp" was -0.1: expected a multiplier in 0..1'],
      [{ regime: { version: 0 } }, 'field "models.regime.version" was 0:'],
      [{ volatility: true }, 'field "models.volatility.targetVolatility" was undefined:'],
      [{ volatility: { targetVolatility: 0 } }, 'field "models.volatility.targetVolatility" was 0: expected a volatility above 0'],
      [{ volatility: { targetVolatility: 0.01, minScale: 0.8, maxScale: 0.5 } }, 'field "models.volatility.maxScale" was 0.5: must be at least minScale (0.8)'],
      [{ stopDistance: { multiple: 0 } }, 'field "models.stopDistance.multiple" was 0: expected a multiple above 0'],
      [{ stopDistance: { minAtr: -1 } }, 'field "models.stopDistance.minAtr" was -1: expected a distance of at least 0 ATRs'],
      [{ sentiment: true }, 'field "models.sentiment" was true: unknown field'],
    ];
    for (const [models, message] of cases) await expect(run({ models }), JSON.stringify(models)).rejects.toThrow(message);
  });
});

describe('model sizing and stop rules', () => {
  it('clamps the volatility scale and treats a zero prediction as calm', () => {
    const option = { targetVolatility: 0.01, minScale: 0.25, maxScale: 2 };
    expect(volatilityScale(option, 0.02)).toBe(0.5); // 0.01 / 0.02
    expect(volatilityScale(option, 0.1)).toBe(0.25); // 0.1 -> 0.1 below the floor
    expect(volatilityScale(option, 0.001)).toBe(2); // 10 -> capped
    expect(volatilityScale(option, 0)).toBe(2);
    expect(() => volatilityScale(option, NaN)).toThrow('field "predictedVolatility" was null: the volatility model returned a non-finite prediction');
  });

  it('puts the model stop below a long and above a short, floored at minAtr', () => {
    const option = { multiple: 1.5, minAtr: 0.5 };
    expect(modelStopPrice(option, 1, 100, 2, 1)).toBe(97); // 100 - 1.5 x 1 x 2
    expect(modelStopPrice(option, -1, 100, 2, 1)).toBe(103); // 100 + 1.5 x 1 x 2
    expect(modelStopPrice(option, 1, 100, 2, 0.1)).toBe(98.5); // floor 0.5 ATR: 100 - 1.5 x 0.5 x 2
    expect(modelStopPrice(option, 1, 100, NaN, 1)).toBeNaN();
  });
});

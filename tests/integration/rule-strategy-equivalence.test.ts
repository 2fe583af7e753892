/**
 * A rule strategy is the strategy it describes: an SMA 10/30 cross with a 2 ATR stop, composed as
 * rules and stored through the control API, gives on real Binance BTC/USDT 1h candles (the shared
 * data folder, /work/shared/data or AETHELRED_SHARED_DATA; the suite says so and checks nothing on
 * real data when it is absent) the same signal on every candle as the same strategy written by hand,
 * and a backtest by its name gives exactly the trades of a backtest of the same strategy written by
 * hand as a strategy file (loaded from a temporary strategies folder), longs and shorts on futures.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCandleCsv } from '../../engine/market/candle-csv';
import { createFeatureExtractor } from '../../engine/features/feature-extractor';
import { createAdapterOutput } from '../../engine/strategies/strategy-adapter';
import { compileRuleStrategy } from '../../engine/strategies/rules/compile-rule-strategy';
import { createAdapterFromDefinition } from '../../engine/strategies/strategy-catalog';
import { handWrittenSmaCross, smaCrossRule } from '../../engine/testing/sma-cross-pair';
import { apiV1Client } from '../support/api-v1-client';
import { AUTH_TEST_BACKENDS, useAuthTestRoots } from '../support/auth-test-root';
import { sharedDataDir, sharedDataFile } from '../support/ml-candles';

const FILE = 'binance_BTC-USDT_1h.csv';

/** engine/testing/sma-cross-pair.ts's hand-written SMA 10/30 cross, as a trader would write it in a strategy file. */
const STRATEGY_FILE = `import { COMMON_REASONS, Direction, crossDirection, defineStrategy, setFlat, z } from 'aethelred/strategy';

export default defineStrategy({
  name: 'code-sma-cross',
  version: '1.0.0',
  summary: 'SMA 10/30 cross, 2 ATR stop (hand-written)',
  params: z.object({}),
  indicators: () => ({ sma: [10, 30], atr: [14] }),
  warmup: () => 30,
  evaluate(f, i, out) {
    if (i < 30) return setFlat(out, COMMON_REASONS.WarmUp);
    const a = f.sma[10];
    const b = f.sma[30];
    const side: Direction = crossDirection(a, b, i);
    if (side === Direction.Flat) return setFlat(out, COMMON_REASONS.NoSignal);
    const atr = f.atr[14][i];
    out.side = side;
    out.strength = 1;
    out.reason = side === Direction.Long ? 'sma cross up' : 'sma cross down';
    out.exit = Direction.Flat;
    if (atr > 0) out.stopHint = f.close[i] - side * 2 * atr;
    else out.stopHint = NaN;
  },
});
`;
const strategiesDir = mkdtempSync(path.join(tmpdir(), 'aethelred-equivalence-'));
writeFileSync(path.join(strategiesDir, 'code-sma-cross.ts'), STRATEGY_FILE);
afterAll(() => rmSync(strategiesDir, { recursive: true, force: true }));

function missing(): boolean {
  if (sharedDataFile(FILE)) return false;
  console.log(`rule-strategy-equivalence: ${FILE} not found under ${sharedDataDir() ?? process.env.AETHELRED_SHARED_DATA ?? '/work/shared/data'}; the real-data checks are skipped`);
  return true;
}

describe('rule strategy versus hand-written code on real candles', () => {
  it('fires the same side, stop and strength on every candle', async () => {
    if (missing()) return;
    const { columns } = await parseCandleCsv(sharedDataFile(FILE)!, '1h');
    expect(columns.length).toBe(5980);
    const rule = createAdapterFromDefinition(compileRuleStrategy(smaCrossRule('rule-sma-cross'), 1), undefined);
    const code = createAdapterFromDefinition(handWrittenSmaCross('code-sma-cross'), undefined);
    expect(rule.features).toEqual(code.features);
    expect(rule.warmup).toBe(code.warmup);
    const frame = createFeatureExtractor(rule.features, columns.length);
    frame.pushColumns(columns);
    const a = createAdapterOutput();
    const b = createAdapterOutput();
    let signals = 0;
    const differences: number[] = [];
    for (let i = 0; i < frame.length; i++) {
      rule.evaluate(frame, i, a);
      code.evaluate(frame, i, b);
      if (a.side !== b.side || a.exit !== b.exit || a.strength !== b.strength || !Object.is(a.stopHint, b.stopHint)) differences.push(i);
      if (a.side !== 0) signals++;
    }
    expect(differences).toEqual([]);
    // SMA(10) and SMA(30) cross in both directions many times over 5980 hourly candles.
    expect(signals).toBeGreaterThan(100);
  });
});

describe.each(AUTH_TEST_BACKENDS)('a rule strategy saved through the API on $name', (backend) => {
  const roots = useAuthTestRoots(backend);

  it('compiles from its stored version to the same signals as the hand-written definition', async () => {
    if (missing()) return;
    const app = await roots.open();
    const trader = apiV1Client(app.root, { cookie: (await app.signedInAs('trader')).cookie });
    const created = await trader.call('createRuleStrategy', { body: smaCrossRule('api-sma-cross') });
    expect(created.status).toBe(201);
    const stored = await app.root.engine.ruleStrategies.get('api-sma-cross');
    const rule = createAdapterFromDefinition(compileRuleStrategy(stored.latest.definition, stored.latest.version), undefined);
    const code = createAdapterFromDefinition(handWrittenSmaCross('code-sma-cross'), undefined);
    const { columns } = await parseCandleCsv(sharedDataFile(FILE)!, '1h');
    const frame = createFeatureExtractor(rule.features, columns.length);
    frame.pushColumns(columns);
    const a = createAdapterOutput();
    const b = createAdapterOutput();
    let same = 0;
    for (let i = 0; i < frame.length; i++) {
      rule.evaluate(frame, i, a);
      code.evaluate(frame, i, b);
      if (a.side === b.side && Object.is(a.stopHint, b.stopHint)) same++;
    }
    expect(same).toBe(frame.length);
  });

  it('backtests by its name to exactly the trades of the same strategy in a strategy file', async () => {
    if (missing()) return;
    const app = await roots.open({ AETHELRED_STRATEGIES_DIR: strategiesDir });
    const trader = apiV1Client(app.root, { cookie: (await app.signedInAs('trader')).cookie });
    const market = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' } as const;
    const imported = await app.root.engine.importCandles({ file: sharedDataFile(FILE)!, key: market });
    expect(imported.inserted).toBe(5980);
    expect((await trader.call('createRuleStrategy', { body: smaCrossRule('api-sma-cross') })).status).toBe(201);
    expect(app.root.engine.strategies.provenance('api-sma-cross')).toMatchObject({ source: 'rule', version: '1' });
    expect(app.root.engine.strategies.provenance('code-sma-cross')).toMatchObject({ source: 'file', version: '1.0.0' });

    const request = { ...market, from: '2024-01-01', to: '2024-09-07', paper: { marketType: 'futures' } };
    const byRule = await app.root.engine.runBacktest({ ...request, strategies: ['api-sma-cross'] });
    const byCode = await app.root.engine.runBacktest({ ...request, strategies: ['code-sma-cross'] });
    expect(byRule.trades.length).toBeGreaterThan(20);
    expect(new Set(byRule.trades.map((t) => t.side))).toEqual(new Set(['long', 'short']));
    // A closed trade carries no strategy name or id: side, amount, prices, times, PnL, fees, funding and exit reason must all agree.
    expect(byRule.trades).toEqual(byCode.trades);
    expect(byRule.finalEquity).toBe(byCode.finalEquity);
  });
});

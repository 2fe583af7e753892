/**
 * A rule strategy is the strategy it describes: an SMA 10/30 cross with a 2 ATR stop, composed as
 * rules and stored through the control API, gives on real Binance BTC/USDT 1h candles (the shared
 * data folder, /work/shared/data or AETHELRED_SHARED_DATA; the suite says so and checks nothing on
 * real data when it is absent) the same signal on every candle as the same strategy written by hand.
 */
import { describe, expect, it } from 'vitest';
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
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors';
import { createFeatureExtractor, type FeatureExtractor } from '../../features/feature-extractor';
import type { FeatureConfig } from '../../features/feature-config';
import { handWrittenSmaCross, smaCrossRule } from '../../testing/sma-cross-pair';
import { createAdapterOutput, type AdapterOutput } from '../strategy-adapter';
import { createAdapterFromDefinition } from '../strategy-catalog';
import { compileRuleStrategy, planRuleStrategy } from './compile-rule-strategy';
import { generateRuleEvaluate, ruleEvaluateSource } from './rule-codegen';
import { interpretRuleStrategy, type RuleEvaluate } from './rule-interpreter';
import { parseRuleStrategy, RULE_INDICATORS, RULE_PRICES, type RuleStrategy, type RuleStrategyInput } from './rule-schema';

/** Candles from closes and volumes: open = previous close (row 0: its own close), high = max(open, close) + 1, low = min(open, close) - 1. */
function frameOf(features: FeatureConfig, closes: readonly number[], volumes: readonly number[]): FeatureExtractor {
  const fx = createFeatureExtractor(features, Math.max(1, closes.length));
  closes.forEach((close, i) => {
    const open = i === 0 ? close : closes[i - 1];
    fx.push(i * 300_000, open, Math.max(open, close) + 1, Math.min(open, close) - 1, close, volumes[i % volumes.length]);
  });
  return fx;
}

const FIELDS = ['side', 'strength', 'reason', 'exit', 'stopHint'] as const;

/** How many evaluated rows carried an entry or an exit (so the properties are known to exercise firing rules). */
const seen = { rows: 0, entries: 0, exits: 0 };

/** Rows (with the field) where two evaluates disagree; numbers compared with Object.is (NaN = NaN, 0 ≠ -0). */
function differences(a: RuleEvaluate, b: RuleEvaluate, frame: FeatureExtractor): string[] {
  const outA = createAdapterOutput();
  const outB = createAdapterOutput();
  const found: string[] = [];
  for (let i = 0; i < frame.length; i++) {
    a(frame, i, outA);
    b(frame, i, outB);
    seen.rows++;
    if (outA.side !== 0) seen.entries++;
    if (outA.exit !== 0) seen.exits++;
    for (const field of FIELDS) {
      if (!Object.is(outA[field as keyof AdapterOutput], outB[field as keyof AdapterOutput])) found.push(`row ${i} ${field}: ${String(outA[field])} vs ${String(outB[field])}`);
    }
  }
  return found;
}

// Random rules over small periods and bar counts (so short series get past the warm-up), constants
// near the prices (ties exercise <= against <) and near RSI levels; every operand kind, operator,
// group kind, look-back and stop kind of the rule language.
const period = fc.integer({ min: 1, max: 4 });
const constant = fc.oneof(
  { arbitrary: fc.integer({ min: 4, max: 16 }), weight: 4 },
  { arbitrary: fc.constantFrom(0, -0, 30, 50, 70, 100), weight: 1 },
  { arbitrary: fc.double({ min: -20, max: 120, noNaN: true }), weight: 1 },
);
const column = fc.oneof(
  fc.record({ indicator: fc.constantFrom(...RULE_INDICATORS), period }),
  fc.record({ price: fc.constantFrom(...RULE_PRICES) }),
);
const operand = fc.oneof(column, column, constant.map((value) => ({ value })));
const within = fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined });
const condition = fc.oneof(
  fc.record({ left: operand, op: fc.constantFrom('crossesAbove', 'crossesBelow', 'gt', 'gte', 'lt', 'lte'), right: operand, withinBars: within }, { requiredKeys: ['left', 'op', 'right'] }),
  fc.record({ left: column, op: fc.constantFrom('rising', 'falling'), bars: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }), withinBars: within }, { requiredKeys: ['left', 'op'] }),
);
const conditions = fc.array(condition, { minLength: 1, maxLength: 3 });
const group = fc.oneof(conditions.map((all) => ({ all })), conditions.map((any) => ({ any })));
const optionalGroup = fc.option(group, { nil: undefined });
const stop = fc.oneof(
  fc.record({ atrMultiple: fc.double({ min: 0.1, max: 5, noNaN: true }), atrPeriod: fc.option(period, { nil: undefined }) }, { requiredKeys: ['atrMultiple'] }),
  fc.record({ percent: fc.double({ min: 0.1, max: 50, noNaN: true }) }),
);
const ruleArb = fc
  .record({ long: optionalGroup, short: optionalGroup, exitLong: optionalGroup, exitShort: optionalGroup, stop })
  .filter((r) => r.long !== undefined || r.short !== undefined)
  .map((r): RuleStrategyInput => ({ name: 'prop-rule', ...r }));
// Mostly whole prices, so columns often equal a constant or each other (ties decide <= against <).
const price = fc.oneof({ arbitrary: fc.integer({ min: 5, max: 15 }), weight: 4 }, { arbitrary: fc.double({ min: 5, max: 15, noNaN: true }), weight: 1 });
const closesArb = fc.array(price, { minLength: 1, maxLength: 60, size: 'max' });
const volumesArb = fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 5 });

describe('generated rule evaluate', () => {
  it('computes the same output as the closure interpreter on random rules and candles', () => {
    Object.assign(seen, { rows: 0, entries: 0, exits: 0 });
    fc.assert(
      fc.property(ruleArb, closesArb, volumesArb, (input, closes, volumes) => {
        const rule = parseRuleStrategy(input);
        const { features, setup } = planRuleStrategy(rule);
        const frame = frameOf(features, closes, volumes);
        expect(differences(generateRuleEvaluate(rule, setup), interpretRuleStrategy(rule, setup), frame)).toEqual([]);
      }),
      { numRuns: 1000, seed: 20261205 },
    );
    // The random rules fire: with this seed about 29,000 rows are compared, 11,000 with an entry and 14,000 with an exit.
    expect(seen.entries).toBeGreaterThan(5_000);
    expect(seen.exits).toBeGreaterThan(5_000);
  });

  it('decides every single condition as the closure interpreter does (the condition alone is the long entry)', () => {
    // With one condition as the only entry, the side on each row is exactly that condition's truth.
    fc.assert(
      fc.property(condition, stop, closesArb, volumesArb, (c, s, closes, volumes) => {
        const rule = parseRuleStrategy({ name: 'one-condition', long: { all: [c] }, stop: s });
        const { features, setup } = planRuleStrategy(rule);
        expect(differences(generateRuleEvaluate(rule, setup), interpretRuleStrategy(rule, setup), frameOf(features, closes, volumes))).toEqual([]);
      }),
      { numRuns: 1000, seed: 20261206 },
    );
  });

  it('fires and exits on the rows computed by hand, for a rule that mixes every kind of condition', () => {
    // A constant on the left, a look-back within N bars, an any group, both exit groups, a percent stop.
    const rule = parseRuleStrategy({
      name: 'mixed-rule',
      long: { any: [{ left: { value: 10 }, op: 'crossesAbove', right: { price: 'close' } }, { left: { price: 'close' }, op: 'rising', bars: 2, withinBars: 2 }] },
      short: { all: [{ left: { indicator: 'ema', period: 2 }, op: 'gt', right: { indicator: 'sma', period: 3 } }, { left: { price: 'close' }, op: 'gte', right: { value: 12 } }] },
      exitLong: { all: [{ left: { price: 'close' }, op: 'lt', right: { value: 8 } }] },
      exitShort: { any: [{ left: { price: 'close' }, op: 'gt', right: { value: 13 }, withinBars: 3 }] },
      stop: { percent: 5 },
    });
    const { features, setup } = planRuleStrategy(rule);
    // warm-up: rising over 2 bars within 2 needs 2 + 1 rows back: 3.
    expect(setup.warmup).toBe(3);
    const closes = [10, 11, 12, 9, 8, 12, 14, 13, 7, 10, 12];
    const frame = frameOf(features, closes, [1]);
    const generated = generateRuleEvaluate(rule, setup);
    expect(differences(generated, interpretRuleStrategy(rule, setup), frame)).toEqual([]);
    const out = createAdapterOutput();
    const rows = closes.map((_, i) => (generated(frame, i, out), [out.side, out.exit]));
    // Long: close crosses below 10 (10 crossesAbove close), or close > close 2 bars back on this or the previous row.
    // Short: EMA(2) > SMA(3) and close >= 12. EMA(2) (weight 2/3, seeded 10): 10, 10.667, 11.556, 9.852, 8.617,
    // 10.872, 12.957, 12.986, 8.995, 9.665, 11.222; SMA(3) from row 2: 11, 10.667, 9.667, 9.667, 11.333, 13, 11.333, 10, 9.667.
    // Row 3 (9 after 12): long. Row 4 (8): 8 > 12 no, 9 > 11 no: flat. Row 5 (12 > 9): long; 10.872 > 9.667 and 12 >= 12: short; both: flat.
    // Row 6 (14 > 8): long and short (12.957 > 11.333): flat. Row 7 (13 > 12): long; 12.986 > 13 no: long.
    // Row 8 (7 after 13): long. Row 9 (10 > 13 no, 7 > 14 no): flat. Row 10 (12 > 7): long and short (11.222 > 9.667): flat.
    // Exits: close < 8 on row 8 -> 1; close > 13 on row 6 holds on rows 6, 7, 8 -> -1 on rows 6 and 7 (row 8 takes the long exit).
    expect(rows.map((r) => r[0])).toEqual([0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0]);
    expect(rows.map((r) => r[1])).toEqual([0, 0, 0, 0, 0, 0, -1, -1, 1, 0, 0]);
  });

  it('reads each feature column once and computes the pair\'s cross once for the long and the short group', () => {
    const rule = parseRuleStrategy(smaCrossRule('sma-cross-rule'));
    const source = ruleEvaluateSource(rule, planRuleStrategy(rule).setup);
    // SMA(10) and SMA(30): one local each, read once; close and ATR(14) only where a signal fired (long and short branch).
    expect(source.match(/f\.[a-zA-Z]+(\[\d+\])?/g)).toEqual(['f.sma[10]', 'f.sma[30]', 'f.close', 'f.atr[14]', 'f.atr[14]']);
    expect(source).toContain('const c0 = f.sma[10];\n  const c1 = f.sma[30];\n  let x0 = 2;');
    // Both groups read the cross through x0: the call runs in whichever reads it first, and only there.
    expect(source).not.toMatch(/(?<!= )crossDirection\(/);
    expect(source).toContain('(x0 === 2 ? (x0 = crossDirection(c0, c1, i)) : x0) === 1');
    expect(source).toContain('(x0 === 2 ? (x0 = crossDirection(c0, c1, i)) : x0) === -1');
  });

  it('computes a cross inside a withinBars loop at each row it looks at, not once', () => {
    const rule = parseRuleStrategy({
      ...smaCrossRule('within-rule'),
      long: { all: [{ left: { indicator: 'sma', period: 10 }, op: 'crossesAbove', right: { indicator: 'sma', period: 30 }, withinBars: 3 }] },
    });
    const source = ruleEvaluateSource(rule, planRuleStrategy(rule).setup);
    expect(source).toContain('for (let j = i; j > i - 3; j--) if (crossDirection(c0, c1, j) === 1)');
    // The short group's cross at row i is still kept in its local.
    expect(source).toContain('(x0 === 2 ? (x0 = crossDirection(c0, c1, i)) : x0) === -1');
  });

  it('gives the hand-written SMA cross signal, stop and strength on a short series', () => {
    // SMA(2) against SMA(3) on closes 10, 9, 8, 9, 11, 10, 8: cross above on row 4, below on row 6
    // (see compile-rule-strategy.test.ts for the arithmetic).
    const rule = createAdapterFromDefinition(compileRuleStrategy(smaCrossRule('tiny-rule', 2, 3), 1), undefined);
    const code = createAdapterFromDefinition(handWrittenSmaCross('tiny-code', 2, 3), undefined);
    const frame = frameOf(rule.features, [10, 9, 8, 9, 11, 10, 8, 9, 10, 12, 15, 11, 9, 8, 7, 9, 12, 13, 10], [1]);
    const a = createAdapterOutput();
    const b = createAdapterOutput();
    let fired = 0;
    for (let i = code.warmup; i < frame.length; i++) {
      rule.evaluate(frame, i, a);
      code.evaluate(frame, i, b);
      expect([a.side, a.strength, a.exit, a.stopHint]).toEqual([b.side, b.strength, b.exit, b.stopHint]);
      fired += a.side !== 0 ? 1 : 0;
    }
    expect(fired).toBeGreaterThan(0);
  });
});

describe('what reaches the generated source', () => {
  const quoted = 'evil `${globalThis.pwned = 1}` \'); globalThis.pwned = 2; //" \\ </script>';

  it('never holds the description: quotes and backticks stay data', () => {
    const input = { ...smaCrossRule('quoted-rule'), description: quoted };
    const rule = parseRuleStrategy(input);
    const source = ruleEvaluateSource(rule, planRuleStrategy(rule).setup);
    expect(source).not.toContain('evil');
    expect(source).not.toContain('pwned');
    // Only the strict-mode directive holds quotes.
    expect(source.replace("'use strict';", '')).not.toMatch(/['"`\\]/);
    const definition = compileRuleStrategy(input, 3);
    expect(definition.summary).toBe(quoted);
    const adapter = createAdapterFromDefinition(definition, undefined);
    const frame = frameOf(adapter.features, Array.from({ length: 40 }, (_, i) => 10 + Math.sin(i)), [1]);
    const out = createAdapterOutput();
    for (let i = 0; i < frame.length; i++) adapter.evaluate(frame, i, out);
    expect((globalThis as Record<string, unknown>).pwned).toBeUndefined();
  });

  it('refuses a name with quotes before any code is generated', () => {
    expect(() => compileRuleStrategy({ ...smaCrossRule('x-rule'), name: "a'); globalThis.pwned = 3; //" }, 1)).toThrow(expect.objectContaining({ field: 'name' }));
    expect((globalThis as Record<string, unknown>).pwned).toBeUndefined();
  });

  it('refuses a forged rule that skipped validation, naming the field and the value', () => {
    const valid = parseRuleStrategy(smaCrossRule('forged-rule'));
    const setup = planRuleStrategy(valid).setup;
    const forge = (mutate: (rule: Record<string, any>) => void): RuleStrategy => {
      const copy = structuredClone(valid) as Record<string, any>;
      mutate(copy);
      return copy as RuleStrategy;
    };
    const cases: [RuleStrategy, string, unknown][] = [
      [forge((r) => (r.long.all[0].left.indicator = 'sma]; globalThis.pwned = 4; //')), 'long.all.0.left.indicator', 'sma]; globalThis.pwned = 4; //'],
      [forge((r) => (r.short.all[0].right = { price: 'close; globalThis.pwned = 5' })), 'short.all.0.right.price', 'close; globalThis.pwned = 5'],
      [forge((r) => (r.long.all[0].right = { value: '1 || (globalThis.pwned = 6)' })), 'long.all.0.right.value', '1 || (globalThis.pwned = 6)'],
      [forge((r) => (r.long.all[0].right = { value: Number.POSITIVE_INFINITY })), 'long.all.0.right.value', Number.POSITIVE_INFINITY],
      [forge((r) => (r.long.all[0].left.period = '10] + (globalThis.pwned = 7) + [')), 'long.all.0.left.period', '10] + (globalThis.pwned = 7) + ['],
      [forge((r) => (r.long.all[0].withinBars = 2.5)), 'long.all.0.withinBars', 2.5],
      [forge((r) => (r.long.all[0].op = 'gt; globalThis.pwned = 8')), 'long.all.0.op', 'gt; globalThis.pwned = 8'],
      [forge((r) => (r.stop.atrMultiple = Number.NaN)), 'stop.atrMultiple', Number.NaN],
    ];
    for (const [rule, field, value] of cases) {
      expect(() => generateRuleEvaluate(rule, setup)).toThrow(ValidationError);
      expect(() => ruleEvaluateSource(rule, setup)).toThrow(expect.objectContaining({ field, value }));
    }
    expect(() => ruleEvaluateSource(valid, { ...setup, warmup: '30; globalThis.pwned = 9' as unknown as number })).toThrow(expect.objectContaining({ field: 'warmup' }));
    expect((globalThis as Record<string, unknown>).pwned).toBeUndefined();
  });
});

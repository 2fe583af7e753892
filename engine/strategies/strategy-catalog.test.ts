import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors';
import { createFeatureExtractor } from '../features/feature-extractor';
import { featureConfigFor } from '../features/feature-config';
import { BUILT_IN_STRATEGIES } from './built-in-strategies';
import { createAdapterOutput, Direction, setFlat } from './strategy-adapter';
import { defineStrategy, z } from './strategy-api';
import { createStrategyCatalog, sourceHashOf, StrategySource, type CatalogEntry } from './strategy-catalog';

/** Long while the close is above its SMA(period); the test strategy files and rules are made of. */
function closeAboveSma(name: string, version = '1.0.0') {
  return defineStrategy({
    name,
    version,
    summary: 'Long while the close is above its SMA.',
    params: z.object({ period: z.number().int().min(2).max(500).default(3), label: z.enum(['a', 'b']).default('a') }),
    indicators: (p) => ({ sma: [p.period], atr: [1] }),
    warmup: (p) => p.period,
    exits: () => ({ timeStop: { bars: 5 } }),
    evaluate(f, i, out, p) {
      const sma = f.sma[p.period][i];
      if (sma !== sma) return setFlat(out, 'warm-up');
      if (f.close[i] > sma) {
        out.side = Direction.Long;
        out.strength = 1;
        out.stopHint = f.close[i] - 1;
        out.reason = 'close above SMA';
        out.exit = Direction.Flat;
      } else setFlat(out, 'no signal');
    },
  });
}

function fileEntry(name: string, path: string, version = '1.0.0'): CatalogEntry {
  const definition = closeAboveSma(name, version);
  return { name, source: StrategySource.File, version, sourceHash: sourceHashOf(`file ${path}`), summary: definition.summary, path, definition };
}

function caught(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('strategy catalog', () => {
  it('lists the built-ins in order with version 1.0.0 and a sha256 of name and version', () => {
    const catalog = createStrategyCatalog(BUILT_IN_STRATEGIES);
    expect(catalog.names()).toEqual(['ma-crossover', 'rsi-mean-reversion', 'ema-trend', 'donchian-breakout']);
    // sha256("built-in:ma-crossover@1.0.0"), computed with `node -e "crypto.createHash('sha256')..."`.
    expect(catalog.provenance('ma-crossover')).toEqual({
      name: 'ma-crossover',
      source: 'built-in',
      version: '1.0.0',
      sourceHash: '7bbc455dc1314d83383acdb3a25c7b444d4f8f943ae954472fcad04b38c6fb60',
    });
  });

  it('creates an adapter with the defaults filled, its features, warm-up, version and parsed exits', () => {
    const catalog = createStrategyCatalog([closeAboveSma('close-above-sma')]);
    const adapter = catalog.create('close-above-sma', undefined);
    expect(adapter.config).toEqual({ period: 3, label: 'a' });
    expect(adapter.features).toEqual({ sma: [3], atr: [1] });
    expect(adapter.warmup).toBe(3);
    expect(adapter.version).toBe('1.0.0');
    expect(adapter.exits).toEqual({ timeStop: { bars: 5 } });
    expect(catalog.defaults('close-above-sma')).toEqual({ period: 3, label: 'a' });
    expect(catalog.create('close-above-sma', { period: 4 }).config).toEqual({ period: 4, label: 'a' });
  });

  it('evaluates with the params bound: closes 1,2,3,4,1 with SMA(3) fire long at row 3 only', () => {
    const catalog = createStrategyCatalog([closeAboveSma('close-above-sma')]);
    const adapter = catalog.create('close-above-sma', {});
    const fx = createFeatureExtractor(featureConfigFor([adapter]), 8);
    [1, 2, 3, 4, 1].forEach((close, i) => fx.push(i * 60_000, close, close + 1, close - 1, close, 1));
    const out = createAdapterOutput();
    const sides = [0, 1, 2, 3, 4].map((i) => {
      adapter.evaluate(fx, i, out);
      return out.side;
    });
    // SMA(3) at row 2 = (1+2+3)/3 = 2 < close 3: long; row 3 = (2+3+4)/3 = 3 < 4: long; row 4 = (3+4+1)/3 = 2.67 > 1: flat.
    expect(sides).toEqual([0, 0, 1, 1, 0]);
  });

  it('names the parameter and its value when params are bad', () => {
    const catalog = createStrategyCatalog(BUILT_IN_STRATEGIES);
    const low = caught(() => catalog.create('ma-crossover', { slowPeriod: 0 }));
    expect([low.field, low.value, low.message]).toEqual(['params.slowPeriod', 0, 'field "params.slowPeriod" was 0: ma-crossover parameter slowPeriod: must be an integer in 1..10000']);
    const crossed = caught(() => catalog.create('rsi-mean-reversion', { oversold: 80, overbought: 20 }));
    expect([crossed.field, crossed.value]).toEqual(['params.oversold', 80]);
    expect(crossed.message).toBe('field "params.oversold" was 80: oversold (80) must be below overbought (20)');
    const enumBad = caught(() => createStrategyCatalog([closeAboveSma('close-above-sma')]).create('close-above-sma', { label: 'c' }));
    expect([enumBad.field, enumBad.value]).toEqual(['params.label', 'c']);
    expect(enumBad.message).toMatch(/^field "params\.label" was "c": close-above-sma parameter label: /);
  });

  it('refuses an unknown name listing the runnable ones', () => {
    const catalog = createStrategyCatalog(BUILT_IN_STRATEGIES);
    const error = caught(() => catalog.create('moon-shot', {}));
    expect(error.field).toBe('strategy');
    expect(error.message).toBe('field "strategy" was "moon-shot": strategy "moon-shot" is not known; expected one of ma-crossover, rsi-mean-reversion, ema-trend, donchian-breakout');
    expect(() => catalog.defaults('moon-shot')).toThrow(ValidationError);
    expect(() => catalog.provenance('moon-shot')).toThrow(ValidationError);
    expect(catalog.get('moon-shot')).toBeUndefined();
  });

  it('lists an entry that failed to load but never runs it, quoting its error', () => {
    const catalog = createStrategyCatalog(BUILT_IN_STRATEGIES);
    const broken: CatalogEntry = { name: 'broken', source: 'file', version: '', sourceHash: sourceHashOf('x'), summary: '', path: '/s/broken.ts', loadError: '/s/broken.ts: SyntaxError: Unexpected token (3:1)' };
    catalog.replaceSource('file', [broken]);
    expect(catalog.list().map((e) => [e.name, e.source, e.loadError ?? null])).toEqual([
      ['ma-crossover', 'built-in', null],
      ['rsi-mean-reversion', 'built-in', null],
      ['ema-trend', 'built-in', null],
      ['donchian-breakout', 'built-in', null],
      ['broken', 'file', '/s/broken.ts: SyntaxError: Unexpected token (3:1)'],
    ]);
    expect(catalog.get('broken')).toBeUndefined();
    expect(catalog.names()).not.toContain('broken');
    expect(() => catalog.create('broken', {})).toThrow('field "strategy" was "broken": strategy "broken" cannot run: /s/broken.ts: SyntaxError: Unexpected token (3:1)');
    expect(catalog.describe().find((d) => d.name === 'broken')).toEqual({
      name: 'broken',
      source: 'file',
      version: '',
      sourceHash: sourceHashOf('x'),
      summary: '',
      file: 'broken.ts',
      loadError: '/s/broken.ts: SyntaxError: Unexpected token (3:1)',
      paramsSchema: {},
      defaults: {},
    });
  });

  it('replaces only the entries of the given source and tells its listeners', () => {
    const catalog = createStrategyCatalog(BUILT_IN_STRATEGIES);
    let changes = 0;
    const unsubscribe = catalog.onChange(() => changes++);
    catalog.replaceSource('file', [fileEntry('alpha', '/s/alpha.ts')]);
    const rule = closeAboveSma('my-rule');
    catalog.replaceSource('rule', [{ name: 'my-rule', source: 'rule', version: '3', sourceHash: sourceHashOf('{}'), summary: rule.summary, definition: rule }]);
    catalog.replaceSource('file', [fileEntry('beta', '/s/beta.ts', '2.0.0')]);
    expect(catalog.names()).toEqual(['ma-crossover', 'rsi-mean-reversion', 'ema-trend', 'donchian-breakout', 'beta', 'my-rule']);
    expect(catalog.provenance('beta')).toEqual({ name: 'beta', source: 'file', version: '2.0.0', sourceHash: sourceHashOf('file /s/beta.ts') });
    expect(changes).toBe(3);
    unsubscribe();
    catalog.replaceSource('file', []);
    expect(changes).toBe(3);
    expect(catalog.names()).toEqual(['ma-crossover', 'rsi-mean-reversion', 'ema-trend', 'donchian-breakout', 'my-rule']);
    expect(() => catalog.replaceSource('built-in' as 'file', [])).toThrow('field "source" was "built-in"');
  });

  it('turns a name taken by an earlier source into a load error on the later one: the built-in wins', () => {
    const catalog = createStrategyCatalog(BUILT_IN_STRATEGIES);
    catalog.replaceSource('file', [fileEntry('ma-crossover', '/s/ma.ts'), fileEntry('twin', '/s/a-twin.ts'), fileEntry('twin', '/s/b-twin.ts')]);
    const rule = closeAboveSma('twin');
    catalog.replaceSource('rule', [{ name: 'twin', source: 'rule', version: '1', sourceHash: sourceHashOf('{}'), summary: '', definition: rule }]);
    expect(catalog.get('ma-crossover')?.source).toBe('built-in');
    expect(catalog.get('twin')?.path).toBe('/s/a-twin.ts');
    expect(catalog.list().filter((e) => e.loadError).map((e) => [e.source, e.name, e.loadError])).toEqual([
      ['file', 'ma-crossover', '/s/ma.ts: strategy name "ma-crossover" is already taken by the built-in strategy'],
      ['file', 'twin', '/s/b-twin.ts: strategy name "twin" is already taken by the file strategy in /s/a-twin.ts'],
      ['rule', 'twin', 'strategy name "twin" is already taken by the file strategy in /s/a-twin.ts'],
    ]);
    expect(catalog.list().filter((e) => e.loadError).every((e) => e.definition === undefined)).toBe(true);
  });

  it('describes each strategy with its params as JSON Schema carrying the defaults', () => {
    const catalog = createStrategyCatalog(BUILT_IN_STRATEGIES);
    const ema = catalog.describe().find((d) => d.name === 'ema-trend');
    expect(ema?.defaults).toEqual({ period: 50, atrPeriod: 14, atrStopMultiple: 2 });
    expect(ema?.paramsSchema.properties).toEqual({
      period: { type: 'integer', minimum: 1, maximum: 10000, default: 50 },
      atrPeriod: { type: 'integer', minimum: 1, maximum: 10000, default: 14 },
      atrStopMultiple: { type: 'number', exclusiveMinimum: 0, default: 2 },
    });
  });

  it('turns a throwing or malformed definition function into a ValidationError', () => {
    const base = closeAboveSma('shaky');
    const throwing = defineStrategy({ ...base, warmup: () => { throw new Error('boom'); } });
    expect(() => createStrategyCatalog([throwing]).create('shaky', {})).toThrow('field "params" was {"period":3,"label":"a"}: shaky warmup failed: boom');
    const fractional = defineStrategy({ ...base, warmup: () => 1.5 });
    expect(() => createStrategyCatalog([fractional]).create('shaky', {})).toThrow('shaky warmup must return a whole number of candles >= 0, got 1.5');
    const badExits = defineStrategy({ ...base, exits: () => ({ timeStop: { bars: 0 } }) });
    expect(caught(() => createStrategyCatalog([badExits]).create('shaky', {})).field).toBe('exits.timeStop.bars');
  });

  it('refuses a definition that gives both evaluate and evaluateColumns, or neither, naming the field', () => {
    const { evaluate, ...withoutRule } = closeAboveSma('twice');
    const both = { ...withoutRule, evaluate, evaluateColumns: () => undefined };
    const bothError = caught(() => defineStrategy(both as never));
    expect(bothError.field).toBe('evaluateColumns');
    expect(bothError.message).toContain('give either evaluate (one row) or evaluateColumns (a range of rows), not both');
    expect(caught(() => createStrategyCatalog([both as never])).field).toBe('evaluateColumns');
    const neither = caught(() => defineStrategy(withoutRule as never));
    expect(neither.field).toBe('evaluate');
    expect(neither.message).toContain('evaluate must be a function (or give evaluateColumns instead)');
    expect(caught(() => defineStrategy({ ...withoutRule, evaluateColumns: 3 } as never)).field).toBe('evaluateColumns');
  });

  it('derives the per-row evaluate of a column-form definition from its columns: closes 1,2,3,4,1 are above their SMA(3) at rows 2 and 3', () => {
    const columnForm = defineStrategy({
      name: 'close-above-sma-columns',
      version: '1.0.0',
      summary: 'Long while the close is above its SMA, written over a range of rows.',
      params: z.object({ period: z.number().int().min(2).max(500).default(3) }),
      indicators: (p) => ({ sma: [p.period] }),
      warmup: (p) => p.period,
      evaluateColumns(f, from, to, columns, p) {
        const sma = f.sma[p.period];
        for (let i = from; i < to; i++) {
          const s = i - from;
          const above = f.close[i] > sma[i];
          columns.side[s] = above ? Direction.Long : Direction.Flat;
          columns.strength[s] = above ? 1 : 0;
          columns.stopHint[s] = above ? f.close[i] - 1 : NaN;
          columns.exit[s] = Direction.Flat;
          columns.reason[s] = sma[i] !== sma[i] ? 'warm-up' : above ? 'close above SMA' : 'no signal';
        }
      },
    });
    const adapter = createStrategyCatalog([columnForm]).create('close-above-sma-columns', {});
    const other = createStrategyCatalog([columnForm]).create('close-above-sma-columns', { period: 2 });
    const fx = createFeatureExtractor(featureConfigFor([adapter, other]), 8);
    [1, 2, 3, 4, 1].forEach((close, i) => fx.push(i * 60_000, close, close, close, close, 1));
    const out = createAdapterOutput();
    const rows = [0, 1, 2, 3, 4].map((i) => {
      adapter.evaluate(fx, i, out);
      return { ...out };
    });
    // SMA(3): NaN, NaN, 2, 3, 8/3; the close is above it at rows 2 (3 > 2) and 3 (4 > 3).
    expect(rows.map((r) => [r.side, r.reason])).toEqual([
      [0, 'warm-up'],
      [0, 'warm-up'],
      [1, 'close above SMA'],
      [1, 'close above SMA'],
      [0, 'no signal'],
    ]);
    expect(rows[3]).toEqual({ side: 1, strength: 1, stopHint: 3, reason: 'close above SMA', exit: 0 });
    // Two adapters of one definition each own their 1-slot columns and params: SMA(2) at row 4 is 2.5, above the close 1.
    other.evaluate(fx, 4, out);
    expect([out.side, out.reason]).toEqual([0, 'no signal']);
    adapter.evaluate(fx, 3, out);
    expect([out.side, out.reason]).toEqual([1, 'close above SMA']);
  });

  it('refuses two built-ins with one name', () => {
    expect(() => createStrategyCatalog([closeAboveSma('same'), closeAboveSma('same')])).toThrow('field "name" was "same": two built-in strategies are named "same"');
  });
});

import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors';
import { createAdapterColumns, writeAdapterColumns, type AdapterOutput } from '../strategies/strategy-adapter';
import { FUSION_REASONS, createFusedColumns, fusedReasonAt, createFusedSignal, createSignalFusion, equalWeights, readFusedColumns, toSignal } from './signal-fusion';

function output(side: -1 | 0 | 1, strength: number, stopHint = NaN): AdapterOutput {
  return { side, strength, stopHint, reason: 'test', exit: 0 };
}

const names = ['a', 'b', 'c'] as const;

describe('createSignalFusion', () => {
  const fusion = createSignalFusion({ weights: { a: 2, b: 1, c: 1 }, ttlMs: 3_600_000 });

  it('goes long when the weighted mean reaches the threshold and keeps the highest agreeing stop', () => {
    // net = (2*0.8 + 1*0.6 + 1*0) / (2+1+1) = 2.2/4 = 0.55 >= 0.5 -> long, strength 0.55
    // stops of agreeing adapters: 95 (a), 97 (b) -> highest below price = 97
    const out = createFusedSignal();
    fusion.fuse([output(1, 0.8, 95), output(1, 0.6, 97), output(0, 0)], names, out);
    expect(out.side).toBe(1);
    expect(out.net).toBeCloseTo(0.55, 15);
    expect(out.strength).toBeCloseTo(0.55, 15);
    expect(out.stopHint).toBe(97);
    expect(out.ttlMs).toBe(3_600_000);
    expect(out.reason).toBe(FUSION_REASONS.Long);
    expect(out.vetoed).toBe(false);
    expect(out.vetoConfidence).toBeNaN();
  });

  it('stays flat when opposing adapters cancel out', () => {
    // net = (2*0.75 - 1*1 - 1*0.5) / 4 = 0
    const out = createFusedSignal();
    fusion.fuse([output(1, 0.75, 90), output(-1, 1, 110), output(-1, 0.5, 111)], names, out);
    expect(out).toMatchObject({ side: 0, net: 0, strength: 0, reason: FUSION_REASONS.BelowThreshold });
    expect(out.stopHint).toBeNaN();
  });

  it('stays flat below the entry threshold and keeps the magnitude for the log', () => {
    // net = (-2*1 - 1*0.5 + 1*1) / 4 = -1.5/4 = -0.375; |net| < 0.5 -> flat
    const out = createFusedSignal();
    fusion.fuse([output(-1, 1, 105), output(-1, 0.5, 103), output(1, 1, 90)], names, out);
    expect(out).toMatchObject({ side: 0, net: -0.375, strength: 0.375, reason: FUSION_REASONS.BelowThreshold });
  });

  it('goes short with a lower threshold and keeps the lowest agreeing stop', () => {
    // same net -0.375 >= 0.3 in magnitude -> short; stops of shorts 105, 103 -> lowest = 103 (the long's 90 is ignored)
    const lenient = createSignalFusion({ weights: { a: 2, b: 1, c: 1 }, ttlMs: 60_000, entryThreshold: 0.3 });
    const out = createFusedSignal();
    lenient.fuse([output(-1, 1, 105), output(-1, 0.5, 103), output(1, 1, 90)], names, out);
    expect(out).toMatchObject({ side: -1, net: -0.375, strength: 0.375, stopHint: 103, ttlMs: 60_000 });
    expect(out.reason).toBe(FUSION_REASONS.Short);
  });

  it('gives no stop when no agreeing adapter has one', () => {
    const out = createFusedSignal();
    fusion.fuse([output(1, 1), output(0, 0), output(0, 0)], names, out);
    expect(out.side).toBe(1);
    expect(out.stopHint).toBeNaN();
  });

  it('ignores adapters with weight 0 but counts the others in the denominator', () => {
    // weights a 1, b 0, c 1: b's long adds nothing; net = 1*1*0.5 / 2 = 0.25
    const zero = createSignalFusion({ weights: { a: 1, b: 0, c: 1 }, ttlMs: 0 });
    const out = createFusedSignal();
    zero.fuse([output(0, 0), output(1, 1, 50), output(1, 0.5, 40)], names, out);
    expect(out).toMatchObject({ side: 0, net: 0.25, reason: FUSION_REASONS.BelowThreshold });
    zero.fuse([output(0, 0), output(1, 1, 50), output(0, 0)], names, out);
    expect(out).toMatchObject({ side: 0, net: 0, reason: FUSION_REASONS.NoSignal });
  });

  it('lets a single adapter act alone when it is the only one fused', () => {
    const solo = createSignalFusion({ weights: { a: 1 }, ttlMs: 0 });
    const out = createFusedSignal();
    solo.fuse([output(1, 0.5, 99)], ['a'], out);
    expect(out).toMatchObject({ side: 1, net: 0.5, strength: 0.5, stopHint: 99 });
  });

  it('re-reads weights when a different names array is passed', () => {
    const out = createFusedSignal();
    fusion.fuse([output(1, 1), output(0, 0), output(0, 0)], names, out);
    expect(out.net).toBe(0.5);
    fusion.fuse([output(0, 0), output(1, 1), output(0, 0)], ['b', 'a', 'c'], out);
    expect(out.net).toBe(0.5);
    fusion.fuse([output(1, 1), output(0, 0)], ['b', 'c'], out);
    expect(out.net).toBe(0.5);
  });

  it('rejects an adapter with no weight naming it', () => {
    expect(() => fusion.fuse([output(1, 1)], ['ema-trend'], createFusedSignal())).toThrow(
      'strategy "ema-trend" has no fusion weight; weights are given for a, b, c',
    );
  });

  it('rejects mismatched outputs and names', () => {
    expect(() => fusion.fuse([output(1, 1)], names, createFusedSignal())).toThrow('got 1 adapter outputs for 3 strategy names');
  });

  it('rejects weights that sum to zero for the fused names', () => {
    const zero = createSignalFusion({ weights: { a: 0 }, ttlMs: 0 });
    expect(() => zero.fuse([output(1, 1)], ['a'], createFusedSignal())).toThrow('the weights of the fused strategies sum to 0');
  });

  it('rejects a negative weight and an out-of-range threshold quoting the values', () => {
    expect(() => createSignalFusion({ weights: { a: -1 }, ttlMs: 0 })).toThrow(
      'field "weights.a" was -1: weight of "a" (-1) must be a finite number >= 0',
    );
    expect(() => createSignalFusion({ weights: {}, ttlMs: 0, entryThreshold: 1.5 })).toThrow(
      'entryThreshold (1.5) must be a number in 0..1',
    );
    expect(() => createSignalFusion({ weights: {}, ttlMs: -5 })).toThrow('ttlMs (-5) must be a finite number of ms >= 0');
  });

  it('fills defaults: entry and veto thresholds 0.5, cooldown 0', () => {
    expect(fusion.config).toEqual({ weights: { a: 2, b: 1, c: 1 }, entryThreshold: 0.5, ttlMs: 3_600_000, cooldownMs: 0, vetoThreshold: 0.5 });
    expect(equalWeights(['x', 'y'])).toEqual({ x: 1, y: 1 });
  });
});

describe('applyVeto', () => {
  const fusion = createSignalFusion({ weights: { a: 1 }, ttlMs: 0, vetoThreshold: 0.6 });
  const long = () => {
    const out = createFusedSignal();
    fusion.fuse([output(1, 1, 90)], ['a'], out);
    return out;
  };

  it('vetoes a signal when the loss probability reaches the threshold', () => {
    const out = long();
    fusion.applyVeto(out, 0.6);
    expect(out).toMatchObject({ side: 1, strength: 1, vetoed: true, vetoConfidence: 0.6, reason: FUSION_REASONS.Vetoed });
  });

  it('keeps a signal whose loss probability is below the threshold', () => {
    const out = long();
    fusion.applyVeto(out, 0.59);
    expect(out).toMatchObject({ vetoed: false, vetoConfidence: 0.59, reason: FUSION_REASONS.Long });
  });

  it('never vetoes without a model', () => {
    const out = long();
    fusion.applyVeto(out, null);
    expect(out.vetoed).toBe(false);
    expect(out.vetoConfidence).toBeNaN();
  });

  it('does not mark a flat signal as vetoed', () => {
    const out = createFusedSignal();
    fusion.fuse([output(0, 0)], ['a'], out);
    fusion.applyVeto(out, 0.99);
    expect(out.vetoed).toBe(false);
    expect(out.vetoConfidence).toBe(0.99);
  });

  it('rejects a confidence outside 0..1', () => {
    expect(() => fusion.applyVeto(long(), 1.2)).toThrow(ValidationError);
    expect(() => fusion.applyVeto(long(), NaN)).toThrow('veto confidence (NaN) must be a probability in 0..1');
  });

  it('resets the veto on the next fuse', () => {
    const out = long();
    fusion.applyVeto(out, 0.9);
    fusion.fuse([output(1, 1, 90)], ['a'], out);
    expect(out.vetoed).toBe(false);
  });
});

describe('toSignal', () => {
  it('maps a fused long to the domain signal', () => {
    const fusion = createSignalFusion({ weights: { a: 1 }, ttlMs: 7_200_000 });
    const out = createFusedSignal();
    fusion.fuse([output(-1, 0.8, 110)], ['a'], out);
    expect(toSignal(out)).toEqual({ side: 'short', strength: 0.8, stopHint: 110, ttlMs: 7_200_000 });
  });
});

describe('fuseColumns', () => {
  it('fuses each slot of typed adapter columns as fuse does that row, by hand', () => {
    const fusion = createSignalFusion({ weights: { a: 2, b: 1, c: 1 }, ttlMs: 60_000 });
    const columns = names.map(() => createAdapterColumns(4));
    const rows = [
      // slot 0: net = (2*0.8 + 0.6)/4 = 0.55 -> long, highest agreeing stop 97
      [output(1, 0.8, 95), output(1, 0.6, 97), output(0, 0)],
      // slot 1: a long 0.75 (weight 2), b short 1, c short 0.5: net = (1.5 - 1 - 0.5)/4 = 0 -> flat, no stop
      [output(1, 0.75, 90), output(-1, 1, 110), output(-1, 0.5, 111)],
      // slot 2: net = (-2*1 - 0.5)/4 = -0.625 -> short, lowest agreeing stop 103
      [output(-1, 1, 105), output(-1, 0.5, 103), output(0, 0)],
      // slot 3: nobody signals -> flat, "no signal"
      [output(0, 0), output(0, 0), output(0, 0)],
    ];
    rows.forEach((outputs, s) => outputs.forEach((o, k) => writeAdapterColumns(columns[k], s, o)));
    const fused = createFusedColumns(4);
    fusion.fuseColumns(columns, names, 4, fused);
    expect(Array.from(fused.side)).toEqual([1, 0, -1, 0]);
    expect(Array.from(fused.net)).toEqual([0.55, 0, -0.625, 0]);
    expect(Array.from(fused.strength)).toEqual([0.55, 0, 0.625, 0]);
    expect(Array.from(fused.stopHint)).toEqual([97, NaN, 103, NaN]);
    expect(Array.from(fused.signalled)).toEqual([1, 1, 1, 0]);
    expect([0, 1, 2, 3].map((slot) => fusedReasonAt(fused, slot))).toEqual([FUSION_REASONS.Long, FUSION_REASONS.BelowThreshold, FUSION_REASONS.Short, FUSION_REASONS.NoSignal]);
    const one = createFusedSignal();
    readFusedColumns(fused, 2, 60_000, one);
    expect(one).toEqual({ side: -1, strength: 0.625, net: -0.625, stopHint: 103, ttlMs: 60_000, vetoed: false, vetoConfidence: NaN, reason: FUSION_REASONS.Short });
  });

  it('refuses more rows than the fused columns hold and a name without a weight', () => {
    const fusion = createSignalFusion({ weights: { a: 1 }, ttlMs: 0 });
    expect(() => fusion.fuseColumns([createAdapterColumns(4)], ['a'], 4, createFusedColumns(2))).toThrow(RangeError);
    expect(() => fusion.fuseColumns([createAdapterColumns(2)], ['z'], 2, createFusedColumns(2))).toThrow(/strategy "z" has no fusion weight/);
  });
});

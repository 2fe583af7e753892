import { describe, expect, it } from 'vitest';
import { logLoss, macroOneVsRestAuc, meanAbsoluteError, multiclassAccuracy, multiclassLogLoss, rocAuc } from './ml-metrics';
import { createMulberry32, shuffleInPlace } from './prng';

describe('rocAuc', () => {
  it('counts tied scores as half a win (7/12 on a hand-checked example)', () => {
    // Positives score 0.9, 0.8, 0.1; negatives 0.8, 0.3. Pairs won: (0.9>0.8), (0.9>0.3), (0.8=0.8: 1/2), (0.8>0.3) = 3.5 of 6.
    expect(rocAuc([1, 0, 1, 0, 1], [0.9, 0.8, 0.8, 0.3, 0.1])).toBeCloseTo(7 / 12, 15);
  });

  it('is 1 for a perfect ranking, 0 for a reversed one and 0.5 when every score ties', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4])).toBe(1);
    expect(rocAuc([1, 1, 0, 0], [0.1, 0.2, 0.3, 0.4])).toBe(0);
    expect(rocAuc([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
  });

  it('is NaN when only one class is present', () => {
    expect(rocAuc([1, 1], [0.2, 0.3])).toBeNaN();
  });

  it('rejects labels and scores of different lengths', () => {
    expect(() => rocAuc([1, 0], [0.5])).toThrow('rocAuc: 2 labels but 1 predictions');
  });
});

describe('logLoss', () => {
  it('averages -ln p of the true outcome (0.3669845875401002 for p 0.8 hit and 0.4 miss)', () => {
    // -(ln 0.8 + ln 0.6) / 2 = (0.2231435513142097 + 0.5108256237659907) / 2
    expect(logLoss([1, 0], [0.8, 0.4])).toBeCloseTo(0.3669845875401002, 14);
  });

  it('clips certain mistakes to a finite cost of -ln(1e-15)', () => {
    expect(logLoss([1], [0])).toBeCloseTo(34.538776394910684, 9);
  });

  it('multiclass: averages -ln p of the labelled class (0.4337502838523616)', () => {
    // -(ln 0.7 + ln 0.6) / 2 = (0.35667494393873245 + 0.5108256237659907) / 2
    expect(multiclassLogLoss([0, 2], [0.7, 0.2, 0.1, 0.1, 0.3, 0.6], 3)).toBeCloseTo(0.4337502838523616, 14);
  });

  it('multiclass: rejects a label that is not a class', () => {
    expect(() => multiclassLogLoss([3], [0.2, 0.3, 0.5], 3)).toThrow('label 3 at row 0 is not a class in 0..2');
  });
});

describe('multiclass scores', () => {
  it('macro AUC averages the one-vs-rest AUCs (11/12) and accuracy counts argmax hits', () => {
    // Rows: [0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.3, 0.5] with labels 0, 2, 1.
    // Class 0: 0.7 (pos) beats 0.1 and 0.2 -> 1. Class 1: 0.3 (pos) beats 0.2, ties 0.3 -> 0.75.
    // Class 2: 0.6 (pos) beats 0.1 and 0.5 -> 1. Mean (1 + 0.75 + 1) / 3 = 11/12.
    const p = [0.7, 0.2, 0.1, 0.1, 0.3, 0.6, 0.2, 0.3, 0.5];
    expect(macroOneVsRestAuc([0, 2, 1], p, 3)).toBeCloseTo(11 / 12, 15);
    // Argmax per row: 0, 2, 2.
    expect(multiclassAccuracy([0, 2, 1], p, 3)).toBeCloseTo(2 / 3, 15);
    expect(multiclassAccuracy([0, 2, 2], p, 3)).toBe(1);
  });
});

describe('meanAbsoluteError', () => {
  it('averages absolute errors (0.5 for errors 0.5, 0, 1)', () => {
    expect(meanAbsoluteError([1, 2, 3], [1.5, 2, 2])).toBe(0.5);
  });
});

describe('mulberry32', () => {
  it('matches an independent Python implementation for seed 42', () => {
    // Python reference: 32-bit masked arithmetic of the published algorithm (bryc/code, PRNGs.md).
    const prng = createMulberry32(42);
    expect([prng.next(), prng.next(), prng.next()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
    const zero = createMulberry32(0);
    expect([zero.next(), zero.next()]).toEqual([0.26642920868471265, 0.0003297457005828619]);
  });

  it('shuffles the same way for the same seed and keeps every element', () => {
    const a = Int32Array.from({ length: 20 }, (_, i) => i);
    const b = Int32Array.from({ length: 20 }, (_, i) => i);
    shuffleInPlace(a, createMulberry32(3));
    shuffleInPlace(b, createMulberry32(3));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(Array.from(a)).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('rejects a non-integer seed', () => {
    expect(() => createMulberry32(1.5)).toThrow('seed (1.5) must be an integer');
  });
});

/**
 * A small seeded pseudo-random number generator, so training is reproducible: the same seed and
 * data give the same model, bit for bit.
 *
 * mulberry32 (Tommy Ettinger, 2017; public domain): a 32-bit state advanced by the Weyl constant
 * 0x6D2B79F5 and mixed with two multiply-xorshift rounds. Period 2^32; plenty for shuffling
 * training rows and drawing initial weights, not for cryptography.
 */

/** A source of uniform numbers in [0, 1). */
export interface Prng {
  /** Next uniform number in [0, 1), a multiple of 2^-32. */
  next(): number;
  /** Uniform integer in 0..n-1. @throws RangeError when n is not a positive integer. */
  nextInt(n: number): number;
}

/**
 * Creates a mulberry32 generator.
 * @param seed any integer; only its low 32 bits matter.
 * @throws RangeError when `seed` is not a finite integer.
 */
export function createMulberry32(seed: number): Prng {
  if (!Number.isInteger(seed)) throw new RangeError(`seed (${String(seed)}) must be an integer`);
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    nextInt(n: number): number {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`n (${String(n)}) must be a positive integer`);
      return Math.floor(next() * n);
    },
  };
}

/** Fisher-Yates shuffle of `order` in place, driven by `prng`. */
export function shuffleInPlace(order: Int32Array, prng: Prng): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = prng.nextInt(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}

import { describe, expect, it } from 'vitest';
import { toColumns } from '../testing/in-memory-repositories';
import { gridDecimals, priceDecimalsOfCandles } from './market-precision';

describe('market precision from candles', () => {
  it('finds the fewest decimals every price lies on', () => {
    expect(gridDecimals([64168.67, 64170.1, 64000])).toBe(2);
    expect(gridDecimals([0.11320, 0.11321, 0.1133])).toBe(5);
    expect(gridDecimals([27, 28, 30])).toBe(0);
    // Sums in floating point still land on the grid: 110.1234 + 0.2 = 110.32340000000001.
    expect(gridDecimals([110.1234 + 0.2, 99.5])).toBe(4);
    expect(gridDecimals([0.11320417992690522])).toBeNull();
    expect(gridDecimals([])).toBeNull();
    expect(gridDecimals([Number.NaN])).toBeNull();
  });

  it("takes the decimals of open, high, low and close together (made-up prices on a 0.01 tick, as on BTC/USDT)", () => {
    const candles = toColumns([
      { openTimeMs: 1704067200000, open: 42283.58, high: 42298.62, low: 42261.02, close: 42298.61, volume: 41.06493 },
      { openTimeMs: 1704067260000, open: 42298.62, high: 42320, low: 42298.61, close: 42320, volume: 50.66299 },
      { openTimeMs: 1704067320000, open: 42319.99, high: 42331.54, low: 42303.1, close: 42325.5, volume: 45.74943 },
    ]);
    expect(priceDecimalsOfCandles(candles)).toBe(2);
    expect(priceDecimalsOfCandles(toColumns([]))).toBeNull();
    expect(priceDecimalsOfCandles(toColumns([{ openTimeMs: 0, open: 1 / 3, high: 1, low: 0, close: 0.5, volume: 1 }]))).toBeNull();
  });
});

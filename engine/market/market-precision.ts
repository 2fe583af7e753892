/**
 * A market's price precision as its own candles show it. The engine stores no instrument metadata
 * (the paper venue has none; ccxt loads `market.precision` only inside a live adapter), but a venue
 * quotes every open, high, low and close on its price tick, so the candles a venue served lie on
 * that grid: Binance BTC/USDT closes have 2 decimals, DOGE/USDT 5. The decimals of that grid are the
 * decimals a price of the market is shown with. Candles that lie on no grid of at most
 * `maxDecimals` decimals (computed or resampled data) give null, and callers fall back to
 * significant digits.
 */
import type { CandleColumns } from '../core/types';

/** How close to an integer `value · 10^d` must be (relative to its size) to count as on the grid. */
const GRID_TOLERANCE = 1e-11;

/**
 * The fewest decimals `d` (0..maxDecimals) such that every finite value is a whole multiple of
 * 10^-d, or null when no such `d` exists or there is no finite value. 64168.67 → 2; [0.1, 0.25] → 2.
 */
export function gridDecimals(values: ArrayLike<number>, maxDecimals = 8): number | null {
  let decimals = 0;
  let seen = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    seen = true;
    while (decimals <= maxDecimals) {
      const scaled = Math.abs(v) * 10 ** decimals;
      if (Math.abs(scaled - Math.round(scaled)) <= GRID_TOLERANCE * Math.max(1, scaled)) break;
      decimals++;
    }
    if (decimals > maxDecimals) return null;
  }
  return seen ? decimals : null;
}

/** Price decimals of a market from its candles' open, high, low and close ({@link gridDecimals}); null when they lie on no grid. */
export function priceDecimalsOfCandles(candles: CandleColumns, maxDecimals = 8): number | null {
  let decimals = 0;
  for (const series of [candles.open, candles.high, candles.low, candles.close]) {
    const d = gridDecimals(series.subarray(0, candles.length), maxDecimals);
    if (d === null) return null;
    decimals = Math.max(decimals, d);
  }
  return candles.length === 0 ? null : decimals;
}

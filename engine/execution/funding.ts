/**
 * Perpetual-futures funding: rate series, settlement schedule and the signed payment.
 *
 * Binance USDⓈ-M rules (see `shared/data/binance-usdm/README.md`): settlements every
 * `fundingIntervalHours` (8 h by default, at 00:00/08:00/16:00 UTC); only positions open at the
 * settlement pay or receive; the wallet change of a position is `−Side × Size × markPrice × rate`
 * (rate > 0: longs pay shorts).
 */
import { ValidationError } from '../core/errors';

/**
 * A funding-rate history for one symbol: either a map `settlementTimeMs -> rate` or parallel
 * arrays. Rates are fractions per interval (0.0001 = 0.01 %).
 */
export type FundingRateSeries =
  | ReadonlyMap<number, number>
  | { readonly timestampsMs: ArrayLike<number>; readonly rates: ArrayLike<number> };

/** A series normalised for lookups: settlement times rounded down to the interval, ascending, unique. */
export interface NormalizedFundingRates {
  readonly timesMs: Float64Array;
  readonly rates: Float64Array;
}

/**
 * Normalises a series: every timestamp is rounded down to a multiple of `intervalMs` (Binance
 * stamps settlements a few ms late, e.g. 1637193600017), entries are sorted, and when two fall on
 * the same settlement the later timestamp wins.
 * @throws ValidationError (field `fundingRates.<symbol>`) for non-finite timestamps or rates, or mismatched array lengths.
 */
export function normalizeFundingRates(symbol: string, series: FundingRateSeries, intervalMs: number): NormalizedFundingRates {
  const field = `fundingRates.${symbol}`;
  const pairs: [number, number, number][] = [];
  if (series instanceof Map) {
    for (const [t, r] of series as ReadonlyMap<number, number>) pairs.push([t, r, t]);
  } else {
    const s = series as { timestampsMs: ArrayLike<number>; rates: ArrayLike<number> };
    if (!s || !s.timestampsMs || !s.rates || s.timestampsMs.length !== s.rates.length) {
      throw new ValidationError(field, series, 'expected a Map or { timestampsMs, rates } of equal length');
    }
    for (let i = 0; i < s.timestampsMs.length; i++) pairs.push([s.timestampsMs[i], s.rates[i], s.timestampsMs[i]]);
  }
  for (const [t, r] of pairs) {
    if (!Number.isFinite(t)) throw new ValidationError(`${field}.timestampMs`, t, 'expected a finite epoch ms');
    if (!Number.isFinite(r)) throw new ValidationError(`${field}[${t}]`, r, 'expected a finite rate');
  }
  for (const p of pairs) p[0] = Math.floor(p[0] / intervalMs) * intervalMs;
  pairs.sort((a, b) => a[0] - b[0] || a[2] - b[2]);
  const times: number[] = [];
  const rates: number[] = [];
  for (const [t, r] of pairs) {
    if (times.length > 0 && times[times.length - 1] === t) rates[rates.length - 1] = r;
    else {
      times.push(t);
      rates.push(r);
    }
  }
  return { timesMs: Float64Array.from(times), rates: Float64Array.from(rates) };
}

/**
 * Index of the latest entry with `timesMs[i] <= timeMs`, or -1 when `timeMs` precedes the series.
 * `hint` is a previous answer: when time only moves forward the search is amortised O(1).
 * Allocation-free.
 */
export function fundingRateIndexAt(series: NormalizedFundingRates, timeMs: number, hint: number): number {
  const times = series.timesMs;
  const n = times.length;
  if (n === 0 || timeMs < times[0]) return -1;
  let i = hint >= 0 && hint < n && times[hint] <= timeMs ? hint : -1;
  if (i < 0) {
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (times[mid] <= timeMs) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
  while (i + 1 < n && times[i + 1] <= timeMs) i++;
  return i;
}

/**
 * Wallet change (quote currency) of one position at one settlement: `−side × size × markPrice × rate`.
 * Negative means the position pays. `side` is +1 long / −1 short, `size` the absolute base amount.
 */
export function fundingPayment(side: number, size: number, markPrice: number, rate: number): number {
  return -side * size * markPrice * rate;
}

/**
 * Parses a funding CSV with header `timestamp_ms,funding_rate` (the `shared/data` format) into a series.
 * @throws ValidationError naming the line for a malformed row.
 */
export function parseFundingRateCsv(text: string): { timestampsMs: Float64Array; rates: Float64Array } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0 || !/^timestamp_ms,funding_rate$/.test(lines[0].trim())) {
    throw new ValidationError('funding csv header', lines[0] ?? '', 'expected "timestamp_ms,funding_rate"');
  }
  const timestampsMs = new Float64Array(lines.length - 1);
  const rates = new Float64Array(lines.length - 1);
  for (let i = 1; i < lines.length; i++) {
    const [t, r] = lines[i].split(',');
    const tn = Number(t);
    const rn = Number(r);
    if (!Number.isFinite(tn) || !Number.isFinite(rn) || t.trim() === '' || r === undefined || r.trim() === '') {
      throw new ValidationError(`funding csv line ${i + 1}`, lines[i], 'expected "<epoch ms>,<rate>"');
    }
    timestampsMs[i - 1] = tn;
    rates[i - 1] = rn;
  }
  return { timestampsMs, rates };
}

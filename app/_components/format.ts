/**
 * The one formatting module for every page: money, prices and amounts by the market's precision,
 * percentages, times and durations. Built on Intl.NumberFormat (one formatter per decimal count,
 * built once: `toLocaleString` constructs a formatter per call, ~30 µs, which dominated a 50-row
 * journal page). English grouping (`60,123.46`); null/NaN (undefined metrics, JSON null) show as
 * an em dash.
 */
import { formatDurationMs } from '@/engine/core/duration';
import { isWinningNetPnl } from '@/engine/insight/trade-outcome';

export const DASH = '—';

const MAX_DIGITS = 12;
const clampDigits = (digits: number) => Math.min(MAX_DIGITS, Math.max(0, Math.trunc(digits)));
/**
 * One formatter per decimal count and style, each built on first use and kept: building one costs about 0.3 ms, and
 * building all 39 when the module loads was a tenth of the CLI's code start-up.
 */
const FIXED_DIGITS: Intl.NumberFormat[] = [];
const UP_TO_DIGITS: Intl.NumberFormat[] = [];
const UP_TO_DIGITS_UNGROUPED: Intl.NumberFormat[] = [];
const fixedDigits = (digits: number) => (FIXED_DIGITS[digits] ??= new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
const upToDigits = (digits: number) => (UP_TO_DIGITS[digits] ??= new Intl.NumberFormat('en-US', { maximumFractionDigits: digits }));
const upToDigitsUngrouped = (digits: number) => (UP_TO_DIGITS_UNGROUPED[digits] ??= new Intl.NumberFormat('en-US', { maximumFractionDigits: digits, useGrouping: false }));

const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** A grouped number with exactly `digits` (0-12) decimals; an em dash for null/NaN, ∞ for Infinity. */
export function fmtNumber(value: number | null | undefined, digits = 2): string {
  if (value === Infinity) return '∞';
  if (value === -Infinity) return '-∞';
  if (!finite(value)) return DASH;
  return fixedDigits(clampDigits(digits)).format(value);
}

/** Money in quote currency (PnL, fees, funding, equity): grouped, two decimals. */
export function fmtMoney(value: number | null | undefined): string {
  return fmtNumber(value, 2);
}

/** A number with at most `digits` (0-12) decimals, trailing zeros dropped, no grouping (ids, parameters); an em dash otherwise. */
export function formatNumber(value: unknown, digits = 4): string {
  if (!finite(value)) return DASH;
  return upToDigitsUngrouped(clampDigits(digits)).format(value);
}

/** An R multiple (result over the initial risk): two decimals and " R" (`1.25 R`), an em dash when unknown. */
export function fmtR(value: number | null | undefined): string {
  const s = fmtNumber(value, 2);
  return s === DASH ? s : `${s} R`;
}

/**
 * A percentage given in percent (`-13.6` → `-13.60%`): grouped, exactly `digits` decimals and the sign written
 * straight after, as the engine's messages (`limit 0.5%`) and the exchanges write it; an em dash, ∞ or -∞ alone.
 * The one percent format of every page: a fraction goes through {@link fmtFractionPct}.
 */
export function fmtPct(value: number | null | undefined, digits = 2): string {
  const s = fmtNumber(value, digits);
  return s === DASH || s === '∞' || s === '-∞' ? s : `${s}%`;
}

/** A fraction as a percentage (`-0.136` → `-13.60%`), as {@link fmtPct}. */
export function fmtFractionPct(fraction: number | null | undefined, digits = 2): string {
  return fmtPct(typeof fraction === 'number' ? fraction * 100 : fraction, digits);
}

/** `2024-01-01 00:05` (UTC, minutes), or an em dash. */
export function fmtTime(ms: number | null | undefined): string {
  if (!finite(ms)) return DASH;
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** `2024-01-01 00:05:00Z` (UTC, seconds), or an em dash. */
export function formatTime(ms: number | null | undefined): string {
  if (!finite(ms)) return DASH;
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/**
 * A duration in human units, as the duration inputs read them ("1h 30m", "45s", "250ms"), rounded
 * to at most two units for display (1h 30m 15s shows as "1h 30m"); an em dash for null/NaN/negative.
 */
export function fmtDuration(ms: number | null | undefined): string {
  if (!finite(ms) || ms < 0) return DASH;
  const whole = Math.round(ms);
  const exact = formatDurationMs(whole).split(' ');
  if (exact.length <= 2) return exact.join(' ');
  // Round to the second unit: e.g. hours and minutes.
  const size = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 }[exact[1].replace(/^\d+/, '') as 'd' | 'h' | 'm' | 's' | 'ms'];
  return formatDurationMs(Math.round(whole / size) * size).split(' ').slice(0, 2).join(' ');
}

/**
 * How many decimals a market shows: `priceDecimals` from its price tick, `amountDecimals` from its
 * amount step (ccxt `market.precision` in decimal places, or {@link decimalsOfStep} of a tick size).
 * Null when the venue does not say (paper and replay venues, stored candles): the formatters then
 * fall back to significant digits.
 */
export interface MarketPrecision {
  priceDecimals?: number | null;
  amountDecimals?: number | null;
}

/** Decimals of a tick or step size: 0.01 → 2, 0.5 → 1, 1 → 0, 10 → 0, 1e-8 → 8; null when not a positive finite number. */
export function decimalsOfStep(step: number): number | null {
  if (!Number.isFinite(step) || step <= 0) return null;
  for (let d = 0; d <= MAX_DIGITS; d++) {
    const scaled = step * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-9 * Math.max(1, scaled)) return d;
  }
  return MAX_DIGITS;
}

/**
 * Decimals that show `significant` significant digits of `value`, between `min` and `max`
 * decimals: the fallback when the market's precision is unknown.
 */
export function significantDecimals(value: number, significant: number, min: number, max: number): number {
  if (!Number.isFinite(value) || value === 0) return min;
  return Math.min(max, Math.max(min, significant - 1 - Math.floor(Math.log10(Math.abs(value)))));
}

/**
 * Decimals for a price when the venue gives no tick size: six significant digits, at least 2 and
 * at most 8 decimals (60,123.46, 101.235, 0.0123457).
 */
export function priceDigits(value: number): number {
  return significantDecimals(value, 6, 2, 8);
}

const validDecimals = (d: number | null | undefined): d is number => typeof d === 'number' && Number.isInteger(d) && d >= 0 && d <= MAX_DIGITS;

/**
 * A price with the market's price decimals (exactly that many, as the venue quotes it), else
 * {@link priceDigits}; an em dash for null/NaN. 64168.674829 → "64,168.67" (2 decimals or fallback).
 */
export function fmtPrice(value: number | null | undefined, precision?: MarketPrecision | null): string {
  if (!finite(value)) return DASH;
  return fmtNumber(value, validDecimals(precision?.priceDecimals) ? precision.priceDecimals : priceDigits(value));
}

/**
 * An amount of base currency with the market's amount decimals (trailing zeros dropped), else six
 * significant digits and at most 8 decimals: 0.11320417992690522 → "0.113204", 1.5 → "1.5", 12 → "12".
 */
export function fmtAmount(value: number | null | undefined, precision?: MarketPrecision | null): string {
  if (!finite(value)) return DASH;
  const digits = validDecimals(precision?.amountDecimals) ? precision.amountDecimals : significantDecimals(value, 6, 0, 8);
  return upToDigits(digits).format(value);
}

/**
 * Decimals for a column of amounts, so that its rows line up (`0.133520` over `0.146910`, not `0.13352` over `0.14691`):
 * the market's amount decimals when the venue gives them, else the most that any amount of the column needs for six
 * significant digits (at most 8, at least 0). Show each with `fmtNumber(amount, decimals)`.
 */
export function amountColumnDecimals(amounts: Iterable<number>, precision?: MarketPrecision | null): number {
  if (validDecimals(precision?.amountDecimals)) return precision.amountDecimals;
  let decimals = 0;
  for (const amount of amounts) if (finite(amount)) decimals = Math.max(decimals, significantDecimals(amount, 6, 0, 8));
  return decimals;
}

/** CSS class for a signed amount: `num pos` above zero, `num neg` below, `num` at zero. */
export function signClass(value: number): string {
  return value > 0 ? 'num pos' : value < 0 ? 'num neg' : 'num';
}

/** CSS class for a trade's net PnL: green only for a winning trade (the engine's one definition), red otherwise unless exactly zero. */
export function netPnlClass(netPnl: number): string {
  return isWinningNetPnl(netPnl) ? 'num pos' : netPnl < 0 ? 'num neg' : 'num';
}

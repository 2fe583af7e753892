/** Display helpers for journal and backtest pages (UTC times, fixed decimals). */

/** `2024-01-01 00:05:00Z`, or an em dash for null. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/**
 * One formatter per decimal count, built once: `toLocaleString` constructs a new Intl.NumberFormat
 * on every call (~30 µs), which dominated a 50-row journal page.
 */
const UP_TO_DIGITS = Array.from({ length: 13 }, (_, digits) => new Intl.NumberFormat('en-US', { maximumFractionDigits: digits, useGrouping: false }));

/** A number with at most `digits` (0-12) decimals (trailing zeros dropped), or an em dash. */
export function formatNumber(value: unknown, digits = 4): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
  return UP_TO_DIGITS[Math.min(12, Math.max(0, Math.trunc(digits)))].format(value);
}

/** CSS class for a signed amount. */
export function signClass(value: number): string {
  return value > 0 ? 'num pos' : value < 0 ? 'num neg' : 'num';
}

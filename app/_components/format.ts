/** Display helpers shared by pages; null/NaN (undefined metrics, JSON null) show as an em dash. */
export const DASH = '—';

/** One formatter per decimal count, built once (`toLocaleString` builds an Intl.NumberFormat per call). */
const FIXED_DIGITS = Array.from({ length: 13 }, (_, digits) => new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));

/** A grouped number with exactly `digits` (0-12) decimals; an em dash for null/NaN, ∞ for Infinity. */
export function fmtNumber(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return value === Infinity ? '∞' : DASH;
  return FIXED_DIGITS[Math.min(12, Math.max(0, Math.trunc(digits)))].format(value);
}

export function fmtPct(value: number | null | undefined, digits = 2): string {
  const s = fmtNumber(value, digits);
  return s === DASH || s === '∞' ? s : `${s} %`;
}

export function fmtTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return DASH;
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return DASH;
  if (ms < 1_000) return `${ms} ms`;
  const s = Math.round(ms / 1_000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  return `${Math.round(h / 24)} d`;
}

/**
 * Decimals for a price when the venue gives no tick size (paper accounts): six significant digits,
 * at least 2 and at most 8 decimals (60,123.46, 101.235, 0.0123457).
 */
export function priceDigits(value: number): number {
  if (!Number.isFinite(value) || value === 0) return 2;
  return Math.min(8, Math.max(2, 5 - Math.floor(Math.log10(Math.abs(value)))));
}

/** A price with {@link priceDigits} decimals; an em dash for null/NaN. */
export function fmtPrice(value: number | null | undefined): string {
  return value === null || value === undefined ? DASH : fmtNumber(value, priceDigits(value));
}

/** An amount of base currency: up to 8 decimals, trailing zeros dropped (0.015, 1.5, 12). */
export function fmtAmount(value: number | null | undefined): string {
  const s = fmtNumber(value, 8);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/**
 * Maintenance-margin tiers ("leverage brackets") of linear USDⓈ-M perpetuals and the
 * one-way-mode liquidation price built on them.
 *
 * Reference: Binance FAQ "How to Calculate Liquidation Price of USDⓈ-M Futures Contracts"
 * (https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93), as summarised
 * with worked examples in `shared/data/binance-usdm/README.md`.
 */
import { ValidationError } from '../core/errors';

/**
 * One maintenance-margin tier of a symbol. Money in quote currency (USDT).
 * The tier applies to a position whose notional (|size| × mark price) satisfies
 * `notionalFloor < notional <= notionalCap` (the first tier also covers a notional of 0).
 * Maintenance margin in the tier: `notional × maintMarginRatio − cum`.
 */
export interface MarginTier {
  /** Tier number, 1-based, ascending with notional. */
  readonly bracket: number;
  /** Lower notional bound, quote currency. */
  readonly notionalFloor: number;
  /** Upper notional bound (inclusive), quote currency. */
  readonly notionalCap: number;
  /** Highest leverage allowed for a position whose notional lies in this tier. */
  readonly maxLeverage: number;
  /** Maintenance margin rate (MMR), a fraction (0.004 = 0.4 %). */
  readonly maintMarginRatio: number;
  /** Maintenance amount, quote currency; makes maintenance margin continuous across tiers. */
  readonly cum: number;
}

/**
 * Built-in default: Binance BTCUSDT tiers 1-4 (snapshot of Oct 2024, README table).
 * Used for any futures symbol without configured tiers; a notional above 12,000,000 USDT
 * is then out of range and orders reaching it are rejected.
 */
export const DEFAULT_MARGIN_TIERS: readonly MarginTier[] = Object.freeze([
  Object.freeze({ bracket: 1, notionalFloor: 0, notionalCap: 50_000, maxLeverage: 125, maintMarginRatio: 0.004, cum: 0 }),
  Object.freeze({ bracket: 2, notionalFloor: 50_000, notionalCap: 600_000, maxLeverage: 100, maintMarginRatio: 0.005, cum: 50 }),
  Object.freeze({ bracket: 3, notionalFloor: 600_000, notionalCap: 3_000_000, maxLeverage: 75, maintMarginRatio: 0.0065, cum: 950 }),
  Object.freeze({ bracket: 4, notionalFloor: 3_000_000, notionalCap: 12_000_000, maxLeverage: 50, maintMarginRatio: 0.01, cum: 11_450 }),
]);

/**
 * Checks a tier list: non-empty, first floor 0, contiguous (each floor equals the previous cap),
 * caps above floors, maxLeverage >= 1, 0 <= MMR < 1, cum >= 0, all finite.
 * Returns a frozen copy sorted by bracket.
 * @throws ValidationError naming the offending field (e.g. `tiers.BTCUSDT[2].cum`) and value.
 */
export function validateMarginTiers(symbol: string, tiers: readonly MarginTier[]): readonly MarginTier[] {
  const field = `tiers.${symbol}`;
  if (!Array.isArray(tiers) || tiers.length === 0) throw new ValidationError(field, tiers, 'expected a non-empty tier list');
  const sorted = [...tiers].sort((a, b) => a.bracket - b.bracket);
  for (let i = 0; i < sorted.length; i++) {
    const t = sorted[i];
    const at = `${field}[${i}]`;
    for (const key of ['bracket', 'notionalFloor', 'notionalCap', 'maxLeverage', 'maintMarginRatio', 'cum'] as const) {
      if (typeof t[key] !== 'number' || !Number.isFinite(t[key])) throw new ValidationError(`${at}.${key}`, t[key], 'expected a finite number');
    }
    if (i === 0 && t.notionalFloor !== 0) throw new ValidationError(`${at}.notionalFloor`, t.notionalFloor, 'the first tier must start at 0');
    if (i > 0 && t.notionalFloor !== sorted[i - 1].notionalCap) {
      throw new ValidationError(`${at}.notionalFloor`, t.notionalFloor, `expected the previous cap ${sorted[i - 1].notionalCap}`);
    }
    if (!(t.notionalCap > t.notionalFloor)) throw new ValidationError(`${at}.notionalCap`, t.notionalCap, `must exceed the floor ${t.notionalFloor}`);
    if (!(t.maxLeverage >= 1)) throw new ValidationError(`${at}.maxLeverage`, t.maxLeverage, 'must be >= 1');
    if (!(t.maintMarginRatio >= 0 && t.maintMarginRatio < 1)) throw new ValidationError(`${at}.maintMarginRatio`, t.maintMarginRatio, 'must be in [0, 1)');
    if (!(t.cum >= 0)) throw new ValidationError(`${at}.cum`, t.cum, 'must be >= 0');
  }
  return Object.freeze(sorted.map((t) => Object.freeze({ ...t })));
}

/**
 * Parses leverage brackets into tiers per symbol. Accepts either the `shared/data/binance-usdm/brackets.json`
 * shape `{ symbols: { BTCUSDT: [{ bracket, notionalFloor, notionalCap, initialLeverage, maintMarginRatio, cum }] } }`
 * or Binance's raw `GET /fapi/v1/leverageBracket` answer `[{ symbol, brackets: [...] }]`.
 * `initialLeverage` becomes `maxLeverage`.
 * @throws ValidationError when the shape is wrong or a tier list is invalid (see `validateMarginTiers`).
 */
export function parseBinanceBrackets(json: unknown): Map<string, readonly MarginTier[]> {
  const out = new Map<string, readonly MarginTier[]>();
  let entries: [string, unknown][];
  if (Array.isArray(json)) {
    entries = json.map((row, i) => {
      if (!row || typeof row !== 'object' || typeof (row as { symbol?: unknown }).symbol !== 'string') {
        throw new ValidationError(`brackets[${i}].symbol`, row, 'expected an object with a string symbol');
      }
      return [(row as { symbol: string }).symbol, (row as { brackets?: unknown }).brackets];
    });
  } else if (json && typeof json === 'object' && (json as { symbols?: unknown }).symbols && typeof (json as { symbols: unknown }).symbols === 'object') {
    entries = Object.entries((json as { symbols: Record<string, unknown> }).symbols);
  } else {
    throw new ValidationError('brackets', json, 'expected { symbols: { SYMBOL: [...] } } or [{ symbol, brackets }]');
  }
  for (const [symbol, rows] of entries) {
    if (!Array.isArray(rows)) throw new ValidationError(`brackets.${symbol}`, rows, 'expected an array of brackets');
    const tiers: MarginTier[] = rows.map((r: Record<string, unknown>) => ({
      bracket: Number(r.bracket),
      notionalFloor: Number(r.notionalFloor),
      notionalCap: Number(r.notionalCap),
      maxLeverage: Number(r.initialLeverage ?? r.maxLeverage),
      maintMarginRatio: Number(r.maintMarginRatio),
      cum: Number(r.cum),
    }));
    out.set(symbol, validateMarginTiers(symbol, tiers));
  }
  return out;
}

/**
 * Index of the tier holding `notional` (quote currency): the tier with `floor < notional <= cap`,
 * tier 0 for a notional of 0. Returns -1 when the notional is above the last cap or not finite.
 * Allocation-free.
 */
export function findMarginTierIndex(tiers: readonly MarginTier[], notional: number): number {
  for (let i = 0; i < tiers.length; i++) {
    if (notional <= tiers[i].notionalCap) return i;
  }
  return -1;
}

/**
 * Maintenance margin (quote currency) of a position of the given notional:
 * `notional × MMR − cum` of its tier; a notional above the last cap uses the last tier.
 */
export function maintenanceMargin(tiers: readonly MarginTier[], notional: number): number {
  let i = findMarginTierIndex(tiers, notional);
  if (i < 0) i = tiers.length - 1;
  return notional * tiers[i].maintMarginRatio - tiers[i].cum;
}

/** Inputs of `liquidationPrice`. Money in quote currency, sizes in base currency. */
export interface LiquidationInput {
  /** +1 long, −1 short. */
  side: 1 | -1;
  /** Absolute position size, base currency, > 0. */
  size: number;
  /** Average entry price. */
  entryPrice: number;
  /** WB: cross wallet balance (cross) or the position's isolated wallet (isolated). */
  walletBalance: number;
  /** TMM1: maintenance margin of the other positions in the same cross wallet (0 in isolated). */
  otherMaintenanceMargin?: number;
  /** UPNL1: unrealised PnL of the other positions in the same cross wallet (0 in isolated). */
  otherUnrealizedPnl?: number;
}

/**
 * Liquidation price of a one-way-mode position (object form of `liquidationPriceOf`).
 * Returns NaN when there is none (a long whose formula gives <= 0, or size 0).
 */
export function liquidationPrice(input: LiquidationInput, tiers: readonly MarginTier[]): number {
  return liquidationPriceOf(
    input.side,
    input.size,
    input.entryPrice,
    input.walletBalance,
    input.otherMaintenanceMargin ?? 0,
    input.otherUnrealizedPnl ?? 0,
    tiers,
  );
}

/**
 * Liquidation price (quote currency) per Binance's one-way formula
 * `LP = (WB − TMM1 + UPNL1 + cumB − Side × Size × EP) / (Size × MMR − Side × Size)`,
 * where MMR and cumB are those of the tier holding the notional `Size × LP` at liquidation.
 *
 * The margin balance minus maintenance margin, as a function of the mark price, changes strictly
 * monotonically (its slope is `Size × (Side − MMR)` within a tier, MMR < 1, and maintenance margin is
 * continuous across tiers), so at most one price solves it. Each tier's formula is solved and the
 * answer whose notional lies inside that same tier is returned, however many tiers it is away from
 * the tier at entry. Notionals above the last cap use the last tier.
 * Returns NaN when there is no liquidation price (size 0, or no positive solution). Allocation-free.
 */
export function liquidationPriceOf(
  side: number,
  size: number,
  entryPrice: number,
  walletBalance: number,
  otherMaintenanceMargin: number,
  otherUnrealizedPnl: number,
  tiers: readonly MarginTier[],
): number {
  if (!(size > 0)) return NaN;
  const base = walletBalance - otherMaintenanceMargin + otherUnrealizedPnl - side * size * entryPrice;
  const last = tiers.length - 1;
  for (let i = 0; i <= last; i++) {
    const tier = tiers[i];
    const lp = (base + tier.cum) / (size * tier.maintMarginRatio - side * size);
    if (!(lp > 0) || !Number.isFinite(lp)) continue;
    const notional = size * lp;
    // A relative slack absorbs rounding at a tier edge, where both neighbours give the same price.
    const slack = 1e-12 * Math.max(1, notional);
    const aboveFloor = i === 0 || notional > tier.notionalFloor - slack;
    const belowCap = i === last || notional <= tier.notionalCap + slack;
    if (aboveFloor && belowCap) return lp;
  }
  return NaN;
}

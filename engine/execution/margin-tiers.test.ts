import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors';
import {
  DEFAULT_MARGIN_TIERS,
  findMarginTierIndex,
  liquidationPrice,
  maintenanceMargin,
  parseBinanceBrackets,
  validateMarginTiers,
  type MarginTier,
} from './margin-tiers';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const dataDir = path.join(process.env.AETHELRED_SHARED_DATA ?? path.resolve(repoRoot, '../shared/data'), 'binance-usdm');
const hasData = fs.existsSync(path.join(dataDir, 'brackets.json'));

// ETHUSDT tiers 1-4 equal BTCUSDT's in the README snapshot.
const ETH_TIERS = DEFAULT_MARGIN_TIERS;

describe('liquidationPrice reproduces the README worked examples', () => {
  it('isolated long BTCUSDT 0.5 @ 60,000 at 10x liquidates at 54,216.87', () => {
    // notional 30,000 -> tier 1 (MMR 0.004, cum 0); WB = 30,000 / 10 = 3,000
    // LP = (3000 + 0 - 0.5*60000) / (0.5*0.004 - 0.5) = -27000 / -0.498 = 54,216.8674698...
    const lp = liquidationPrice({ side: 1, size: 0.5, entryPrice: 60_000, walletBalance: 3_000 }, DEFAULT_MARGIN_TIERS);
    expect(lp).toBeCloseTo(54_216.87, 2);
    expect(lp).toBeCloseTo(27_000 / 0.498, 9);
  });

  it('isolated short ETHUSDT 100 @ 3,000 at 20x liquidates at 3,134.83', () => {
    // notional 300,000 -> tier 2 (MMR 0.005, cum 50); WB = 300,000 / 20 = 15,000
    // LP = (15000 + 50 + 100*3000) / (100*0.005 + 100) = 315,050 / 100.5 = 3,134.8258706...
    const lp = liquidationPrice({ side: -1, size: 100, entryPrice: 3_000, walletBalance: 15_000 }, ETH_TIERS);
    expect(lp).toBeCloseTo(3_134.83, 2);
    expect(lp).toBeCloseTo(315_050 / 100.5, 9);
  });

  it('cross long BTCUSDT 2 @ 60,000 beside an ETH short liquidates at 55,816.08', () => {
    // ETH short 10 @ 3,000, mark 3,100: TMM1 = 31,000*0.004 - 0 = 124, UPNL1 = -(3100-3000)*10 = -1,000
    // BTC notional 120,000 -> tier 2 (MMR 0.005, cum 50)
    // LP = (10000 - 124 - 1000 + 50 - 2*60000) / (2*0.005 - 2) = -111,074 / -1.99 = 55,816.0804...
    const otherMaintenanceMargin = maintenanceMargin(ETH_TIERS, 10 * 3_100);
    expect(otherMaintenanceMargin).toBeCloseTo(124, 10);
    const lp = liquidationPrice(
      { side: 1, size: 2, entryPrice: 60_000, walletBalance: 10_000, otherMaintenanceMargin, otherUnrealizedPnl: -1_000 },
      DEFAULT_MARGIN_TIERS,
    );
    expect(lp).toBeCloseTo(55_816.08, 2);
    expect(lp).toBeCloseTo(111_074 / 1.99, 9);
  });

  it('cross long BTCUSDT 0.009 @ 67,445.9 matches the venue answer 64,846.98753793', () => {
    // ccxt static fetchPositions, collateral 25.72470371, tier 1 (MMR 0.004, cum 0)
    // LP = (25.72470371 - 0.009*67445.9) / (0.009*0.004 - 0.009) = -581.28839629 / -0.008964 = 64,846.98753793
    // Binance reported "64846.98753790".
    const lp = liquidationPrice({ side: 1, size: 0.009, entryPrice: 67_445.9, walletBalance: 25.72470371 }, DEFAULT_MARGIN_TIERS);
    expect(Math.abs(lp - 64_846.98753793)).toBeLessThan(1e-6);
  });
});

describe('liquidationPrice tier handling', () => {
  it('recomputes with the tier of the liquidation notional when it differs from the entry tier', () => {
    // isolated long 1 BTC @ 50,100 at 100x: WB 501, entry notional 50,100 -> tier 2
    // tier 2: LP = (501 + 50 - 50100) / (0.005 - 1) = 49,798.99..., notional 49,798.99 -> tier 1
    // tier 1: LP = (501 + 0 - 50100) / (0.004 - 1) = -49,599 / -0.996 = 49,798.1927710843 (inside tier 1: kept)
    const lp = liquidationPrice({ side: 1, size: 1, entryPrice: 50_100, walletBalance: 501 }, DEFAULT_MARGIN_TIERS);
    expect(lp).toBeCloseTo(49_599 / 0.996, 9);
  });

  it('returns NaN for an over-collateralised long', () => {
    // LP = (70000 - 1*60000) / (0.004 - 1) < 0 -> none
    expect(liquidationPrice({ side: 1, size: 1, entryPrice: 60_000, walletBalance: 70_000 }, DEFAULT_MARGIN_TIERS)).toBeNaN();
  });

  it('finds tiers with an inclusive cap and reports notionals past the last cap as -1', () => {
    expect(findMarginTierIndex(DEFAULT_MARGIN_TIERS, 0)).toBe(0);
    expect(findMarginTierIndex(DEFAULT_MARGIN_TIERS, 50_000)).toBe(0);
    expect(findMarginTierIndex(DEFAULT_MARGIN_TIERS, 50_000.01)).toBe(1);
    expect(findMarginTierIndex(DEFAULT_MARGIN_TIERS, 12_000_000)).toBe(3);
    expect(findMarginTierIndex(DEFAULT_MARGIN_TIERS, 12_000_001)).toBe(-1);
  });

  it('keeps maintenance margin continuous across a tier edge', () => {
    // at 50,000: tier 1 -> 50000*0.004 - 0 = 200; tier 2 formula -> 50000*0.005 - 50 = 200
    expect(maintenanceMargin(DEFAULT_MARGIN_TIERS, 50_000)).toBeCloseTo(200, 10);
    expect(maintenanceMargin(DEFAULT_MARGIN_TIERS, 50_000.0001)).toBeCloseTo(200.0000005, 9);
  });
});

describe('validateMarginTiers and parseBinanceBrackets', () => {
  it('rejects a gap between tiers naming the tier field', () => {
    const tiers: MarginTier[] = [
      { bracket: 1, notionalFloor: 0, notionalCap: 100, maxLeverage: 20, maintMarginRatio: 0.01, cum: 0 },
      { bracket: 2, notionalFloor: 150, notionalCap: 200, maxLeverage: 10, maintMarginRatio: 0.02, cum: 1 },
    ];
    expect(() => validateMarginTiers('XUSDT', tiers)).toThrow(ValidationError);
    try {
      validateMarginTiers('XUSDT', tiers);
    } catch (error) {
      expect((error as ValidationError).field).toBe('tiers.XUSDT[1].notionalFloor');
      expect((error as ValidationError).value).toBe(150);
    }
  });

  it("parses Binance's raw leverageBracket answer", () => {
    const parsed = parseBinanceBrackets([
      {
        symbol: 'XUSDT',
        brackets: [
          { bracket: 1, initialLeverage: 50, notionalCap: 5000, notionalFloor: 0, maintMarginRatio: 0.01, cum: 0 },
          { bracket: 2, initialLeverage: 20, notionalCap: 25000, notionalFloor: 5000, maintMarginRatio: 0.025, cum: 75 },
        ],
      },
    ]);
    expect(parsed.get('XUSDT')).toEqual([
      { bracket: 1, notionalFloor: 0, notionalCap: 5000, maxLeverage: 50, maintMarginRatio: 0.01, cum: 0 },
      { bracket: 2, notionalFloor: 5000, notionalCap: 25000, maxLeverage: 20, maintMarginRatio: 0.025, cum: 75 },
    ]);
  });

  it('rejects an unknown shape', () => {
    expect(() => parseBinanceBrackets({ foo: 1 })).toThrow(ValidationError);
  });

  if (hasData) {
    it('parses the shared brackets.json: 12 tiers each, tiers 1-4 equal the built-in default, cum continuous', () => {
      const parsed = parseBinanceBrackets(JSON.parse(fs.readFileSync(path.join(dataDir, 'brackets.json'), 'utf8')));
      for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
        const tiers = parsed.get(symbol)!;
        expect(tiers).toHaveLength(12);
        expect(tiers.slice(0, 4)).toEqual(DEFAULT_MARGIN_TIERS);
        for (let i = 1; i < tiers.length; i++) {
          // cum[i] = cum[i-1] + floor[i] * (MMR[i] - MMR[i-1])
          const expected = tiers[i - 1].cum + tiers[i].notionalFloor * (tiers[i].maintMarginRatio - tiers[i - 1].maintMarginRatio);
          expect(Math.abs(tiers[i].cum - expected)).toBeLessThan(1e-6 * Math.max(1, expected));
        }
      }
      // README: BTCUSDT tier 5 floor 12,000,000, max 25x, MMR 0.02, cum 131,450; last tier 12 is 1x.
      expect(parsed.get('BTCUSDT')![4]).toEqual({ bracket: 5, notionalFloor: 12_000_000, notionalCap: 70_000_000, maxLeverage: 25, maintMarginRatio: 0.02, cum: 131_450 });
      expect(parsed.get('BTCUSDT')![11].maxLeverage).toBe(1);
    });
  } else {
    it('needs no shared data for the brackets.json check when it is absent', () => {
      console.log(`shared data not found at ${dataDir}: real-data suite not run`);
      expect(hasData).toBe(false);
    });
  }
});

/**
 * The liquidation price found independently: bisection on "margin balance − maintenance margin"
 * as a function of the mark price, reading the tier table row by row (no per-tier formula).
 */
function bisectLiquidationPrice(tiers: readonly MarginTier[], side: 1 | -1, size: number, entryPrice: number, walletBalance: number): number {
  const maintenance = (notional: number) => {
    const tier = tiers.find((t) => notional <= t.notionalCap) ?? tiers[tiers.length - 1];
    return notional * tier.maintMarginRatio - tier.cum;
  };
  const surplus = (price: number) => walletBalance + side * size * (price - entryPrice) - maintenance(size * price);
  let lo = 0;
  let hi = 10 * entryPrice;
  for (let k = 0; k < 200; k++) {
    const mid = (lo + hi) / 2;
    // long: surplus rises with price (liquidated below LP); short: it falls (liquidated above LP)
    if (surplus(mid) > 0 === side > 0) hi = mid;
    else lo = mid;
  }
  return (lo + hi) / 2;
}

if (hasData) {
  describe('liquidationPrice across several tiers (shared brackets.json)', () => {
    const btc = () => parseBinanceBrackets(JSON.parse(fs.readFileSync(path.join(dataDir, 'brackets.json'), 'utf8'))).get('BTCUSDT')!;

    it('puts a 190 BTC long at 60,000 on a 10,801,500 wallet (about 1x) at 3,165.58, in tier 3', () => {
      const tiers = btc();
      // Entry notional 11,400,000 is tier 4 (MMR 0.01, cum 11,450): its formula gives
      // (10,801,500 + 11,450 - 11,400,000) / (190*0.01 - 190) = 3,120.95, whose notional 592,980 is tier 2;
      // tier 2 gives (10,801,500 + 50 - 11,400,000) / (190*0.005 - 190) = 3,165.52, notional 601,449 -> tier 3;
      // tier 3 (MMR 0.0065, cum 950): (10,801,500 + 950 - 11,400,000) / (190*0.0065 - 190) = 597,550 / 188.765
      // = 3,165.5762, notional 601,459 inside tier 3 (600,000..3,000,000): the consistent answer.
      expect(tiers[2]).toMatchObject({ notionalFloor: 600_000, notionalCap: 3_000_000, maintMarginRatio: 0.0065, cum: 950 });
      const expected = bisectLiquidationPrice(tiers, 1, 190, 60_000, 10_801_500);
      expect(expected.toFixed(2)).toBe('3165.58');
      const lp = liquidationPrice({ side: 1, size: 190, entryPrice: 60_000, walletBalance: 10_801_500 }, tiers);
      expect(lp).toBeCloseTo(597_550 / 188.765, 9);
      expect(Math.abs(lp - expected)).toBeLessThan(1e-6);
    });

    it('finds a 400 BTC long entered in tier 5 liquidating two tiers lower, in tier 3', () => {
      const tiers = btc();
      // Entry notional 24,000,000: tier 5 (MMR 0.02, cum 131,450) gives
      // (23,300,000 + 131,450 - 24,000,000) / (400*0.02 - 400) = 568,550 / 392 = 1,450.38 (notional 580,153: tier 2);
      // tier 2 gives (700,000 - 50) / 398 = 1,758.67 (notional 703,467: tier 3);
      // tier 3 gives (700,000 - 950) / (400 - 2.6) = 699,050 / 397.4 = 1,759.0589, notional 703,624 in tier 3.
      const expected = bisectLiquidationPrice(tiers, 1, 400, 60_000, 23_300_000);
      expect(expected.toFixed(4)).toBe('1759.0589');
      const lp = liquidationPrice({ side: 1, size: 400, entryPrice: 60_000, walletBalance: 23_300_000 }, tiers);
      expect(lp).toBeCloseTo(699_050 / 397.4, 9);
      expect(Math.abs(lp - expected)).toBeLessThan(1e-6);
    });

    it('puts a 10 BTC short at 60,000 on a 500,000 wallet in tier 3 above the entry tier 2', () => {
      const tiers = btc();
      // Entry notional 600,000 is tier 2; tier 3 gives (500,000 + 950 + 600,000) / (10*0.0065 + 10)
      // = 1,100,950 / 10.065 = 109,384.004, notional 1,093,840 inside tier 3.
      const expected = bisectLiquidationPrice(tiers, -1, 10, 60_000, 500_000);
      const lp = liquidationPrice({ side: -1, size: 10, entryPrice: 60_000, walletBalance: 500_000 }, tiers);
      expect(lp).toBeCloseTo(1_100_950 / 10.065, 8);
      expect(Math.abs(lp - expected)).toBeLessThan(1e-6);
    });
  });
} else {
  describe('liquidationPrice across several tiers (shared brackets.json)', () => {
    it('is skipped because the shared data folder is absent', () => {
      console.log(`shared data not found at ${dataDir}: multi-tier liquidation suite not run`);
      expect(hasData).toBe(false);
    });
  });
}

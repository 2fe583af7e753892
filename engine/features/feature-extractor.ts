/**
 * Streaming indicator computation over typed arrays. One implementation serves the backtest and
 * the live loop: both push closed candles one at a time and read the {@link FeatureFrame}.
 *
 * Formulas follow the `trading-signals` library (v8) so results can be checked against it:
 * - SMA(n): mean of the last n closes. Kept as a running sum that is recomputed from scratch
 *   every n candles, so rounding drift stays bounded (amortised O(1)).
 * - EMA(n): `ema = close * k + prev * (1 - k)`, `k = 2 / (n + 1)`, seeded with the first close;
 *   reported from row n-1.
 * - RSI(n) (Wilder 1978, "New Concepts in Technical Trading Systems"): gains and losses of close
 *   changes, each averaged by Wilder smoothing seeded with the simple mean of the first n changes;
 *   `RSI = 100 - 100 / (1 + avgGain / avgLoss)`, 100 when avgLoss is 0. Reported from row n.
 * - ATR(n) (Wilder 1978): Wilder smoothing `avg += (tr - avg) / n` of the true range, seeded with
 *   the mean of the first n true ranges (row 0's true range is high - low). Reported from row n-1.
 * - Donchian(n): highest high / lowest low of the previous n candles (the current one excluded),
 *   via monotonic deques over typed-array rings. Reported from row n.
 */
import { ValidationError } from '../core/errors';
import type { CandleColumns } from '../core/types';
import { normalizeFeatureConfig, type FeatureConfig, type NormalizedFeatureConfig } from './feature-config';
import type { FeatureFrame } from './feature-frame';

/** A feature frame that can be fed. Not safe to share between symbols: use one extractor per candle stream. */
export interface FeatureExtractor extends FeatureFrame {
  /** Rows that fit before the next doubling. */
  readonly capacity: number;
  /**
   * Appends one closed candle and updates every column at row `length - 1`. O(1) amortised,
   * no allocation except when capacity doubles.
   * @throws ValidationError when `openTimeMs` is not strictly after the previous candle's, or when
   *   `low <= open, close <= high` or `volume >= 0` fails (NaN fails too).
   */
  push(openTimeMs: number, open: number, high: number, low: number, close: number, volume: number): void;
  /** Pushes every row of `candles` in order. Same throws as {@link FeatureExtractor.push}. */
  pushColumns(candles: CandleColumns): void;
  /** Forgets all rows and indicator state; keeps the allocated capacity. */
  reset(): void;
}

/**
 * Creates a streaming feature extractor.
 * @param config indicator periods to compute (usually `featureConfigFor(adapters)`).
 * @param capacity initial row capacity (integer >= 1); doubles when exceeded.
 * @throws ValidationError for an invalid period or capacity.
 */
export function createFeatureExtractor(config: FeatureConfig, capacity: number): FeatureExtractor {
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new ValidationError('capacity', capacity, `capacity (${String(capacity)}) must be an integer >= 1`);
  }
  return new StreamingFeatureExtractor(normalizeFeatureConfig(config), capacity);
}

/** Builds an array indexed by period with one column per configured period (sparse elsewhere). */
function byPeriod(periods: readonly number[], columns: readonly Float64Array[]): Float64Array[] {
  const out: Float64Array[] = periods.length === 0 ? [] : new Array<Float64Array>(periods[periods.length - 1] + 1);
  for (let s = 0; s < periods.length; s++) out[periods[s]] = columns[s];
  return out;
}

function grown(column: Float64Array, capacity: number): Float64Array {
  const next = new Float64Array(capacity);
  next.set(column);
  return next;
}

function columnsOf(count: number, capacity: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let s = 0; s < count; s++) out.push(new Float64Array(capacity));
  return out;
}

class StreamingFeatureExtractor implements FeatureExtractor {
  length = 0;
  capacity: number;
  readonly config: NormalizedFeatureConfig;
  openTimeMs: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  trueRange: Float64Array;
  readonly sma: Float64Array[];
  readonly ema: Float64Array[];
  readonly rsi: Float64Array[];
  readonly atr: Float64Array[];
  readonly donchianUpper: Float64Array[];
  readonly donchianLower: Float64Array[];

  private lastTimeMs = -Infinity;

  private readonly smaPeriods: Int32Array;
  private readonly smaColumns: Float64Array[];
  private readonly smaSum: Float64Array;
  /** Candles left until the running sum is recomputed exactly. */
  private readonly smaCountdown: Int32Array;

  private readonly emaPeriods: Int32Array;
  private readonly emaColumns: Float64Array[];
  private readonly emaWeight: Float64Array;
  private readonly emaValue: Float64Array;

  private readonly rsiPeriods: Int32Array;
  private readonly rsiColumns: Float64Array[];
  private readonly rsiAvgGain: Float64Array;
  private readonly rsiAvgLoss: Float64Array;

  private readonly atrPeriods: Int32Array;
  private readonly atrColumns: Float64Array[];
  private readonly atrAvg: Float64Array;

  private readonly donchianPeriods: Int32Array;
  private readonly upperColumns: Float64Array[];
  private readonly lowerColumns: Float64Array[];
  /** Per period, rings of n+1 row indices: highs decreasing (max deque) and lows increasing (min deque). */
  private readonly maxRings: Int32Array[];
  private readonly minRings: Int32Array[];
  private readonly maxHead: Int32Array;
  private readonly maxSize: Int32Array;
  private readonly minHead: Int32Array;
  private readonly minSize: Int32Array;

  constructor(config: NormalizedFeatureConfig, capacity: number) {
    this.config = config;
    this.capacity = capacity;
    this.openTimeMs = new Float64Array(capacity);
    this.open = new Float64Array(capacity);
    this.high = new Float64Array(capacity);
    this.low = new Float64Array(capacity);
    this.close = new Float64Array(capacity);
    this.volume = new Float64Array(capacity);
    this.trueRange = new Float64Array(capacity);

    this.smaPeriods = Int32Array.from(config.sma);
    this.smaColumns = columnsOf(config.sma.length, capacity);
    this.smaSum = new Float64Array(config.sma.length);
    this.smaCountdown = Int32Array.from(config.sma);
    this.sma = byPeriod(config.sma, this.smaColumns);

    this.emaPeriods = Int32Array.from(config.ema);
    this.emaColumns = columnsOf(config.ema.length, capacity);
    this.emaWeight = Float64Array.from(config.ema, (n) => 2 / (n + 1));
    this.emaValue = new Float64Array(config.ema.length);
    this.ema = byPeriod(config.ema, this.emaColumns);

    this.rsiPeriods = Int32Array.from(config.rsi);
    this.rsiColumns = columnsOf(config.rsi.length, capacity);
    this.rsiAvgGain = new Float64Array(config.rsi.length);
    this.rsiAvgLoss = new Float64Array(config.rsi.length);
    this.rsi = byPeriod(config.rsi, this.rsiColumns);

    this.atrPeriods = Int32Array.from(config.atr);
    this.atrColumns = columnsOf(config.atr.length, capacity);
    this.atrAvg = new Float64Array(config.atr.length);
    this.atr = byPeriod(config.atr, this.atrColumns);

    this.donchianPeriods = Int32Array.from(config.donchian);
    this.upperColumns = columnsOf(config.donchian.length, capacity);
    this.lowerColumns = columnsOf(config.donchian.length, capacity);
    this.maxRings = config.donchian.map((n) => new Int32Array(n + 1));
    this.minRings = config.donchian.map((n) => new Int32Array(n + 1));
    this.maxHead = new Int32Array(config.donchian.length);
    this.maxSize = new Int32Array(config.donchian.length);
    this.minHead = new Int32Array(config.donchian.length);
    this.minSize = new Int32Array(config.donchian.length);
    this.donchianUpper = byPeriod(config.donchian, this.upperColumns);
    this.donchianLower = byPeriod(config.donchian, this.lowerColumns);
  }

  reset(): void {
    this.length = 0;
    this.lastTimeMs = -Infinity;
    this.smaSum.fill(0);
    this.smaCountdown.set(this.smaPeriods);
    this.emaValue.fill(0);
    this.rsiAvgGain.fill(0);
    this.rsiAvgLoss.fill(0);
    this.atrAvg.fill(0);
    this.maxHead.fill(0);
    this.maxSize.fill(0);
    this.minHead.fill(0);
    this.minSize.fill(0);
  }

  pushColumns(candles: CandleColumns): void {
    for (let r = 0; r < candles.length; r++) {
      this.push(
        candles.openTimeMs[r],
        candles.open[r],
        candles.high[r],
        candles.low[r],
        candles.close[r],
        candles.volume[r],
      );
    }
  }

  push(openTimeMs: number, open: number, high: number, low: number, close: number, volume: number): void {
    if (!(openTimeMs > this.lastTimeMs)) {
      throw new ValidationError(
        'openTimeMs',
        openTimeMs,
        `candle open time (${openTimeMs}) must be after the previous candle's (${this.lastTimeMs})`,
      );
    }
    if (!(low <= open && low <= close && open <= high && close <= high && volume >= 0)) {
      throw new ValidationError(
        'candle',
        { openTimeMs, open, high, low, close, volume },
        'low <= open, close <= high and volume >= 0 must hold',
      );
    }
    const i = this.length;
    if (i === this.capacity) this.grow();
    this.lastTimeMs = openTimeMs;
    const closes = this.close;
    const highs = this.high;
    const lows = this.low;
    this.openTimeMs[i] = openTimeMs;
    this.open[i] = open;
    highs[i] = high;
    lows[i] = low;
    closes[i] = close;
    this.volume[i] = volume;
    const previousClose = i > 0 ? closes[i - 1] : close;
    let tr = high - low;
    if (i > 0) tr = Math.max(tr, Math.abs(high - previousClose), Math.abs(low - previousClose));
    this.trueRange[i] = tr;

    // SMA: running sum, recomputed oldest-to-newest whenever the window has turned over.
    const smaCount = this.smaPeriods.length;
    for (let s = 0; s < smaCount; s++) {
      const n = this.smaPeriods[s];
      let sum = this.smaSum[s] + close;
      if (i >= n) sum -= closes[i - n];
      const left = this.smaCountdown[s] - 1;
      if (left === 0) {
        sum = 0;
        for (let j = i - n + 1; j <= i; j++) sum += closes[j];
        this.smaCountdown[s] = n;
      } else {
        this.smaCountdown[s] = left;
      }
      this.smaSum[s] = sum;
      this.smaColumns[s][i] = i >= n - 1 ? sum / n : NaN;
    }

    const emaCount = this.emaPeriods.length;
    for (let s = 0; s < emaCount; s++) {
      const k = this.emaWeight[s];
      const previous = i === 0 ? close : this.emaValue[s];
      const value = close * k + previous * (1 - k);
      this.emaValue[s] = value;
      this.emaColumns[s][i] = i >= this.emaPeriods[s] - 1 ? value : NaN;
    }

    // RSI: change j (1-based) is close[j] - close[j-1]; row i carries change number i.
    const rsiCount = this.rsiPeriods.length;
    if (rsiCount > 0) {
      const gain = close > previousClose ? close - previousClose : 0;
      const loss = close > previousClose ? 0 : previousClose - close;
      for (let s = 0; s < rsiCount; s++) {
        const n = this.rsiPeriods[s];
        const column = this.rsiColumns[s];
        if (i === 0) {
          column[i] = NaN;
          continue;
        }
        let avgGain = this.rsiAvgGain[s];
        let avgLoss = this.rsiAvgLoss[s];
        if (i < n) {
          avgGain += gain;
          avgLoss += loss;
        } else if (i === n) {
          avgGain = (avgGain + gain) / n;
          avgLoss = (avgLoss + loss) / n;
        } else {
          const smoothing = 1 / n;
          avgGain = (gain - avgGain) * smoothing + avgGain;
          avgLoss = (loss - avgLoss) * smoothing + avgLoss;
        }
        this.rsiAvgGain[s] = avgGain;
        this.rsiAvgLoss[s] = avgLoss;
        column[i] = i < n ? NaN : avgLoss === 0 ? 100 : 100 - 100 / (avgGain / avgLoss + 1);
      }
    }

    const atrCount = this.atrPeriods.length;
    for (let s = 0; s < atrCount; s++) {
      const n = this.atrPeriods[s];
      let avg = this.atrAvg[s];
      if (i < n - 1) avg += tr;
      else if (i === n - 1) avg = (avg + tr) / n;
      else avg = (tr - avg) * (1 / n) + avg;
      this.atrAvg[s] = avg;
      this.atrColumns[s][i] = i < n - 1 ? NaN : avg;
    }

    const donchianCount = this.donchianPeriods.length;
    for (let s = 0; s < donchianCount; s++) {
      const n = this.donchianPeriods[s];
      const ringSize = n + 1;
      const oldest = i - n;

      const maxRing = this.maxRings[s];
      let head = this.maxHead[s];
      let size = this.maxSize[s];
      while (size > 0 && maxRing[head] < oldest) {
        head = head + 1 === ringSize ? 0 : head + 1;
        size--;
      }
      this.upperColumns[s][i] = oldest >= 0 ? highs[maxRing[head]] : NaN;
      while (size > 0) {
        let tail = head + size - 1;
        if (tail >= ringSize) tail -= ringSize;
        if (highs[maxRing[tail]] > high) break;
        size--;
      }
      let slot = head + size;
      if (slot >= ringSize) slot -= ringSize;
      maxRing[slot] = i;
      this.maxHead[s] = head;
      this.maxSize[s] = size + 1;

      const minRing = this.minRings[s];
      head = this.minHead[s];
      size = this.minSize[s];
      while (size > 0 && minRing[head] < oldest) {
        head = head + 1 === ringSize ? 0 : head + 1;
        size--;
      }
      this.lowerColumns[s][i] = oldest >= 0 ? lows[minRing[head]] : NaN;
      while (size > 0) {
        let tail = head + size - 1;
        if (tail >= ringSize) tail -= ringSize;
        if (lows[minRing[tail]] < low) break;
        size--;
      }
      slot = head + size;
      if (slot >= ringSize) slot -= ringSize;
      minRing[slot] = i;
      this.minHead[s] = head;
      this.minSize[s] = size + 1;
    }

    this.length = i + 1;
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    this.openTimeMs = grown(this.openTimeMs, capacity);
    this.open = grown(this.open, capacity);
    this.high = grown(this.high, capacity);
    this.low = grown(this.low, capacity);
    this.close = grown(this.close, capacity);
    this.volume = grown(this.volume, capacity);
    this.trueRange = grown(this.trueRange, capacity);
    const regrow = (columns: Float64Array[], periods: Int32Array, view: Float64Array[]) => {
      for (let s = 0; s < columns.length; s++) {
        columns[s] = grown(columns[s], capacity);
        view[periods[s]] = columns[s];
      }
    };
    regrow(this.smaColumns, this.smaPeriods, this.sma);
    regrow(this.emaColumns, this.emaPeriods, this.ema);
    regrow(this.rsiColumns, this.rsiPeriods, this.rsi);
    regrow(this.atrColumns, this.atrPeriods, this.atr);
    regrow(this.upperColumns, this.donchianPeriods, this.donchianUpper);
    regrow(this.lowerColumns, this.donchianPeriods, this.donchianLower);
    this.capacity = capacity;
  }
}

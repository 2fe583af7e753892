/**
 * The risk engine: every entry passes `evaluate` before it reaches an exchange, and equity is fed to
 * `onEquity` every candle so circuit breakers can halt new entries.
 *
 * Pre-trade: sizes the order so that hitting the stop loses `riskPerTradePct` of equity, spread, slippage
 * and fees included (volatility sizing: a wider ATR stop gives a smaller order; the cost rule lives in
 * `trading-costs.ts`), then shrinks it to respect the symbol exposure and leverage caps, then checks
 * every limit. Denials are values with a reason quoting the numbers, never errors.
 *
 * Portfolio limits (optional): value-at-risk and expected shortfall of the account's positions after the
 * order, by historical simulation over the last `varLookbackCandles` candle returns at `varConfidence`
 * (definitions in `value-at-risk.ts`), as fractions of equity. The caller supplies the positions and
 * their return history in the context (`PreTradeContext.portfolio`); the engine reads no storage.
 *
 * Post-trade: a daily loss breaker (halts until the next UTC day or a manual resume) and a max drawdown
 * breaker (halts until a manual resume). State round-trips through {@link RiskStateRecord} so a restart
 * keeps a halt.
 *
 * Pattern: nautilus_trader `risk/engine.pyx` (risk as a gate that denies with a reason).
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors';
import { memoizedParser } from '../core/validation';
import type { Clock } from '../core/clock';
import type { RiskStateRecord } from '../ports/risk-state';
import { stopLossPerUnit, tradingCostsSchema, ZERO_TRADING_COSTS } from './trading-costs';
import { computeValueAtRisk, lastScenarios, type PortfolioRiskInput, type PositionExposure, type ValueAtRiskResult } from './value-at-risk';

const DAY_MS = 86_400_000;

/**
 * Relative tolerance when comparing a check against its limit, so a size capped exactly at a limit is not
 * denied by float rounding (e.g. leverage 3.0000000000000004 vs 3).
 */
export const RISK_LIMIT_TOLERANCE = 1e-9;

const positive = (max?: number) => {
  const base = z.number().finite().positive();
  return max === undefined ? base : base.max(max);
};

/** The VaR / ES settings when none are set (the schema's defaults): both limits off, 99 % confidence, 500 candles. */
export const VALUE_AT_RISK_DEFAULTS = Object.freeze({
  maxVarFraction: null,
  maxExpectedShortfallFraction: null,
  varConfidence: 0.99,
  varLookbackCandles: 500,
} as const);

const FRACTION_LIMIT = 'expected a fraction of equity from 0 to 1 (0.03 = 3 %), or null for no limit';
const fractionLimit = () => z.number(FRACTION_LIMIT).min(0, FRACTION_LIMIT).max(1, FRACTION_LIMIT).nullable();
const CONFIDENCE = 'expected a confidence level strictly between 0 and 1, e.g. 0.99';

/** zod schema of {@link RiskConfig}. */
export const riskConfigSchema = z.object({
  /** Account these limits and this state belong to (the RiskStateRecord key). */
  accountId: z.string().min(1).default('default'),
  /** Maximum gross notional / equity after the order, e.g. 3. */
  maxLeverage: positive(),
  /** Hard cap on the estimated loss at the stop (spread, slippage and fees included), percent of equity, e.g. 1 = 1 %. */
  maxLossPctEquityPerTrade: positive(100),
  /** Sizing target: percent of equity lost if the stop is hit, e.g. 0.5. */
  riskPerTradePct: positive(100),
  /** Maximum |notional| of one symbol / equity * 100 after the order, e.g. 50. */
  maxSymbolExposurePct: positive(),
  /** Maximum number of open positions after the order. */
  maxOpenPositions: z.number().int().positive(),
  /** Stop distance in ATRs when the signal carries no stop hint, e.g. 2. */
  atrStopMultiple: positive(),
  /** Daily loss breaker: halt when equity falls this percent below the UTC day's starting equity. */
  dailyLossLimitPct: positive(100),
  /** Drawdown breaker: halt when equity falls this percent below its peak. */
  maxDrawdownPct: positive(100),
  /**
   * Portfolio value-at-risk limit: VaR at `varConfidence` of the positions after the order, as a fraction of
   * equity, 0..1 (0.03 = 3 %). null (the default) = no VaR check.
   */
  maxVarFraction: fractionLimit().default(VALUE_AT_RISK_DEFAULTS.maxVarFraction),
  /** Portfolio expected-shortfall limit, a fraction of equity 0..1 like `maxVarFraction`. null (the default) = no ES check. */
  maxExpectedShortfallFraction: fractionLimit().default(VALUE_AT_RISK_DEFAULTS.maxExpectedShortfallFraction),
  /** Confidence level of VaR and ES, strictly between 0 and 1; default 0.99. */
  varConfidence: z.number(CONFIDENCE).gt(0, CONFIDENCE).lt(1, CONFIDENCE).default(VALUE_AT_RISK_DEFAULTS.varConfidence),
  /** Number of candle returns (scenarios) VaR and ES are computed over, 10..100 000; default 500. */
  varLookbackCandles: z.number().int('expected a whole number of candles').min(10, 'expected at least 10 candles').max(100_000, 'expected at most 100 000 candles').default(VALUE_AT_RISK_DEFAULTS.varLookbackCandles),
  /**
   * The account's trading costs (taker fee, spread, slippage), from its fee model via `tradingCostsOf`; sizing and
   * the estimated loss include both adverse fills and both fees (see `trading-costs.ts`). Not a risk limit: it is
   * not part of the stored risk settings. Defaults to no costs, which is right only for a venue without any.
   * (The former `feeRateBps` field is gone; an input that still carries it is accepted and the field dropped.)
   */
  costs: tradingCostsSchema.default(ZERO_TRADING_COSTS),
});

/** Risk limits. Percentages are 0..100 (1 = 1 %). Validate with {@link parseRiskConfig}. */
export type RiskConfig = z.input<typeof riskConfigSchema>;
type ParsedRiskConfig = z.output<typeof riskConfigSchema>;

/**
 * Validates a risk config. Throws ValidationError naming the first invalid field and its value,
 * e.g. `field "maxLeverage" was -1: Too small: expected number to be >0`.
 * A deep-frozen config (a resolved run's `risk`) is parsed once: its output, frozen, is kept and returned again
 * (`memoizedParser`), so the run that resolves it and every run built from it share one zod parse.
 */
export const parseRiskConfig: (input: unknown) => ParsedRiskConfig = memoizedParser(riskConfigSchema, { root: 'config' });

/** What the loop knows when a signal fires. Money in quote currency. */
export interface PreTradeContext {
  symbol: string;
  side: 'long' | 'short';
  /** Expected entry price, > 0. */
  price: number;
  /** Protective stop price from the signal; NaN when none. */
  stopHint: number;
  /** Current average true range in price units; NaN during warm-up. */
  atr: number;
  /** Account equity. */
  equity: number;
  /** Signed notional already held in this symbol (+ long, - short, 0 flat). */
  currentPositionNotional: number;
  /** Gross notional of all open positions (>= 0). */
  totalOpenNotional: number;
  /** Number of open positions before this order. */
  openPositions: number;
  /** Leverage the venue order would request (futures); checked against maxLeverage when given. */
  leverageRequested?: number;
  /**
   * Multiplies the sizing budget (`riskPerTradePct` of equity) for this order, finite and > 0; default 1.
   * The loop's regime and volatility models set it; the caps and limits apply to the scaled order as to any.
   */
  riskScale?: number;
  /**
   * The account's positions before the order (signed notionals) and the return history of their markets and
   * of `symbol`, for the VaR / ES limits. Needed only when one of them is set: without it, or with fewer than
   * `varLookbackCandles` scenarios, such an order is denied (a limit that cannot be evaluated does not pass).
   */
  portfolio?: PortfolioRiskInput | null;
}

/** Names of pre-trade checks, in the order they are reported. */
export const RiskCheckName = {
  LeverageRequested: 'leverage_requested',
  LeverageAfter: 'leverage_after',
  EstLossPctEquity: 'est_loss_pct_equity',
  SymbolExposurePct: 'symbol_exposure_pct',
  OpenPositions: 'open_positions',
  /** Portfolio VaR after the order / equity (a fraction). */
  VarFraction: 'var_fraction',
  /** Portfolio expected shortfall after the order / equity (a fraction). */
  ExpectedShortfallFraction: 'es_fraction',
} as const;
export type RiskCheckName = (typeof RiskCheckName)[keyof typeof RiskCheckName];

/** One evaluated limit: `value` must not exceed `limit`. */
export interface RiskCheck {
  name: RiskCheckName;
  value: number;
  limit: number;
  passed: boolean;
}

/** Outcome of a pre-trade evaluation. `amount` is in base currency, unrounded (execution rounds it). */
export type RiskDecision =
  | { approved: true; amount: number; stopPrice: number; checks: RiskCheck[] }
  | {
      approved: false;
      reason: string;
      checks: RiskCheck[];
      /** The amount the checks were evaluated at (the sizing's, after the exposure and leverage caps); NaN when denied before sizing (halted, no usable stop). */
      sizedAmount: number;
    };

/**
 * A risk decision that {@link RiskEngine.evaluateInto} rewrites in place (the allocation-free form for a loop's
 * entries): `amount` and `stopPrice` are NaN and `reason` is set when denied, `reason` is '' when approved.
 * `checks` and its records are reused by the next evaluation: copy them to keep them.
 */
export interface RiskDecisionBuffer {
  approved: boolean;
  amount: number;
  stopPrice: number;
  /** The amount the checks were evaluated at: `amount` when approved; when denied by a limit the size it refused, NaN when denied before sizing. */
  sizedAmount: number;
  /** Why it was denied; '' when approved, or when denied without `describe` (see `evaluateInto`). */
  reason: string;
  checks: RiskCheck[];
  /** The check records `checks` is filled from (one per check name; grown if ever short). */
  readonly pool: RiskCheck[];
}

/** A fresh {@link RiskDecisionBuffer} for `evaluateInto`. */
export function createRiskDecisionBuffer(): RiskDecisionBuffer {
  // Records for every check there is, made up front with number fields, and `checks` as an empty copy of them: arrays
  // and records of one shape for every buffer, so the gate's optimised code is not thrown away at each new one.
  const pool: RiskCheck[] = Object.values(RiskCheckName).map((name) => ({ name, value: NaN, limit: NaN, passed: false }));
  return { approved: false, amount: NaN, stopPrice: NaN, sizedAmount: NaN, reason: '', checks: pool.slice(0, 0), pool };
}

/** Circuit breakers that halt new entries: daily loss auto-resumes at the next UTC day, max drawdown needs a manual resume. */
export const BreakerName = { DailyLoss: 'daily_loss', MaxDrawdown: 'max_drawdown' } as const;
export type BreakerName = (typeof BreakerName)[keyof typeof BreakerName];

/** A breaker's status for a what-if panel. NaN values until the first `onEquity`. */
export interface BreakerStatus {
  name: BreakerName;
  tripped: boolean;
  /** The configured limit, percent. */
  limitPct: number;
  /** Current loss from the day start (daily) or from the peak (drawdown), percent; negative when above it. */
  currentPct: number;
  /** limitPct - currentPct. */
  headroomPct: number;
  /** Equity at which the breaker trips. */
  tripEquity: number;
  /** Latest equity - tripEquity (quote currency). */
  headroomEquity: number;
}

/** The risk engine. Not thread-safe; one per account, driven by one loop. */
export interface RiskEngine {
  /** The validated config. */
  readonly config: Readonly<ParsedRiskConfig>;
  /**
   * Sizes and checks an entry. Returns a denial (never throws) when halted, when no stop is usable,
   * when equity is not positive, or when a limit would be exceeded. Allocates only the small result.
   * Throws ValidationError for corrupt input (price not finite and > 0, non-finite equity or notionals).
   */
  evaluate(ctx: PreTradeContext): RiskDecision;
  /**
   * `evaluate` into `out`, reusing its check records: allocates nothing when approved (the steady state of a
   * backtest's entries). A denial's reason is built only with `describe` (a journal or a listener reads it);
   * without it `reason` is ''. Same throws as `evaluate`. Returns `out`.
   */
  evaluateInto(ctx: PreTradeContext, out: RiskDecisionBuffer, describe: boolean): RiskDecisionBuffer;
  /**
   * Records equity at a candle (allocation-free apart from amortised growth of the curve buffers),
   * rolls the UTC day, and trips or auto-resumes breakers. Throws ValidationError when equity is not
   * finite or time moves backwards.
   */
  onEquity(timeMs: number, equity: number): void;
  /**
   * `onEquity(values[0], values[1])`: time (ms) and equity read from a caller-owned array, the allocation-free
   * form for a per-candle loop (numbers passed to a call that is not inlined are boxed, one heap number each).
   * Same throws.
   */
  onEquityFrom(values: Float64Array): void;
  /**
   * How many of the equity points at the times `openTimesMs[r] + addMs`, `r` from `from` up to `to - 1`, with the equity
   * `values[1]`, would change nothing but the curve, counted from the first: the equity is the last point's, the breakers
   * have settled on it, and each time falls in the UTC day of the last point (a new day rolls the day's start and may
   * lift a daily-loss halt). 0 when the first would change something. An engine shared by sessions that record at their
   * own times (the risk desk's) always answers 0. Returns an integer and takes the times as rows, so a caller's loop
   * boxes no number across the call. The points it counts are written past the curve's end as they are checked (the
   * buffers grown to hold `to - from` more when they cannot), so that `recordSteadyEquity` of those rows right after, with
   * nothing recorded in between, takes them without checking them again.
   */
  steadyEquityRows(openTimesMs: Float64Array, from: number, to: number, addMs: number, values: Float64Array): number;
  /**
   * `onEquityFrom` at the times `openTimesMs[r] + addMs`, `r` in `from..to-1`, with the equity `values[1]`, in one call:
   * points that change nothing but the curve (see {@link RiskEngine.steadyEquityRows}), so they are only appended. Allocation-free apart from amortised growth of the curve buffers.
   * @throws RangeError for a point that is not steady, a time before the previous one included (nothing recorded).
   */
  recordSteadyEquity(openTimesMs: Float64Array, from: number, to: number, addMs: number, values: Float64Array): void;
  /** Halts new entries by hand; the reason is stored as `manual: <reason>`. Stays until `resume()`. */
  halt(reason: string): void;
  /** Clears any halt and re-bases the day start and drawdown peak to the latest equity, so the same loss does not re-trip at once. */
  resume(): void;
  /** Whether new entries are halted. */
  isHalted(): boolean;
  /** Snapshot for RiskStateRepository.save. `updatedAtMs` comes from the clock. */
  state(): RiskStateRecord;
  /** Loads a persisted snapshot (e.g. after a restart). Throws ValidationError if the account differs or numbers are invalid. */
  restore(record: RiskStateRecord): void;
  /** Status and headroom of each breaker. */
  breakers(): BreakerStatus[];
  /** Views (no copy) of the recorded equity curve; valid until the next `onEquity`. */
  equityCurve(): { timeMs: Float64Array; equity: Float64Array };
  /**
   * Forgets the recorded equity points (the buffers are kept); the breakers keep their day start and peak.
   * A long run reads `equityCurve()` and clears it every chunk of candles, so the curve stays bounded.
   */
  clearEquityCurve(): void;
}

function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toFixed(4)));
}

/** Prefix of a denial whose VaR / ES limits could not be evaluated for lack of return history. */
export const VAR_NO_HISTORY = 'var: not enough return history';

/** `VaR 312.1 and ES 401.7 at 99% over 500 candles of 1h`: the figures of a VaR / ES check, quote currency. */
export function describeValueAtRisk(result: ValueAtRiskResult, timeframe: string): string {
  return `VaR ${fmt(result.valueAtRisk)} and ES ${fmt(result.expectedShortfall)} at ${fmt(result.confidence * 100)}% over ${result.scenarios} candles of ${timeframe}`;
}

/** Slots of a risk engine's running figures (see `tracked` in {@link createRiskEngine}). */
const TRACKED_DAY_START_MS = 0;
const TRACKED_DAY_START_EQUITY = 1;
const TRACKED_PEAK_EQUITY = 2;
const TRACKED_LAST_EQUITY = 3;
const TRACKED_LAST_TIME_MS = 4;
/** End of the UTC day that starts at the day start, when this engine rolled to it (NaN after a restore: a stored day start is taken as it is). */
const TRACKED_DAY_END_MS = 5;


function requireFinite(field: string, value: number): void {
  if (!Number.isFinite(value)) throw new ValidationError(field, value, 'expected a finite number');
}

/**
 * Writes the points of the times `openTimesMs[r] + addMs` with the equity `values[1]` from slot `at` of `times`/`equities`, as long as
 * each falls from the last recorded time (`tracked`'s `TRACKED_LAST_TIME_MS`) up to the end of its UTC day
 * (`TRACKED_DAY_END_MS`), in order (see `steadyTime`); returns how many. A loop and nothing after it (see the feature
 * extractor's `copyCheckedRows`): it runs once per stretch of idle candles.
 */
function writeSteadyPoints(
  openTimesMs: Float64Array,
  from: number,
  to: number,
  addMs: number,
  values: Float64Array,
  times: Float64Array,
  equities: Float64Array,
  at: number,
  tracked: Float64Array,
): number {
  let r = from;
  for (; r < to; r++) {
    if (!steadyTime(openTimesMs, r, from, addMs, tracked)) break;
    const timeMs = openTimesMs[r] + addMs;
    times[at + r - from] = timeMs;
    equities[at + r - from] = values[1];
  }
  return r - from;
}

/**
 * Whether the point at `openTimesMs[r] + addMs` comes at or after the one before it (the last recorded one for `r` =
 * `from`, else row `r - 1`'s) and within the last point's UTC day (`tracked`'s `TRACKED_DAY_END_MS`). Rows, not times,
 * cross the call: a number passed to a call that is not inlined is boxed.
 */
function steadyTime(openTimesMs: Float64Array, r: number, from: number, addMs: number, tracked: Float64Array): boolean {
  const timeMs = openTimesMs[r] + addMs;
  return timeMs >= (r === from ? tracked[TRACKED_LAST_TIME_MS] : openTimesMs[r - 1] + addMs) && timeMs < tracked[TRACKED_DAY_END_MS];
}

/**
 * Creates a risk engine. Throws ValidationError naming the field when the config is invalid.
 * Time for manual halts and state snapshots comes from `deps.clock`; breaker trips use the candle time.
 * `deps.curveCapacity`: equity points to reserve (a backtest's candle count, so the curve never grows
 * during the run); default 1024, doubling as needed.
 */
export function createRiskEngine(config: RiskConfig, deps: { clock: Clock; curveCapacity?: number }): RiskEngine {
  const parsed = parseRiskConfig(config);
  const cfg = Object.freeze({ ...parsed, costs: Object.freeze(parsed.costs) });
  const costs = cfg.costs;
  /**
   * The two breaker limits (max drawdown %, daily loss %) read by `onEquityFrom` every candle, copied out of `cfg`:
   * `cfg`'s shape follows the parsed input's keys, so it differs from run to run, and a per-candle read of it
   * deoptimised the run loop's compiled code at the start of each run ("wrong map").
   */
  const breakerLimits = Float64Array.of(cfg.maxDrawdownPct, cfg.dailyLossLimitPct);
  const within = (value: number, limit: number) => value <= limit * (1 + RISK_LIMIT_TOLERANCE);

  let halted = false;
  let haltReason: string | null = null;
  let haltedAtMs: number | null = null;
  /**
   * Whether the breakers were checked at the last equity point without a trip and nothing has changed them since
   * (a halt, a resume, a restore): then a point of the same equity within the same UTC day needs no check,
   * since every figure would come out as it did (a flat account's equity stays put candle after candle).
   */
  let settled = false;
  /**
   * The breakers' running figures (indexes `TRACKED_*`: day start time and equity, peak equity, last equity,
   * last time, day end), in a typed array rather than closure variables or object fields: a number stored in a closure
   * variable is boxed anew on every store, a typed array slot never (no per-candle allocation in `onEquity`).
   */
  const tracked = Float64Array.of(NaN, NaN, NaN, NaN, -Infinity, NaN);

  let capacity = Math.max(1024, Math.floor(deps.curveCapacity ?? 0));
  let length = 0;
  let curveTime = new Float64Array(capacity);
  let curveEquity = new Float64Array(capacity);

  /**
   * The points `steadyEquityRows` last wrote past the curve's end, checked (`writtenCount` of them, from row `writtenFrom` of
   * `writtenTimes`, `writtenAt[0]` the curve's length then and `writtenAt[1]` the `addMs`), for `recordSteadyEquity` to take
   * as they are; null once anything else touched the curve or the breakers' state.
   */
  let writtenTimes: Float64Array | null = null;
  let writtenFrom = 0;
  let writtenCount = 0;
  const writtenAt = new Float64Array(2);

  const setHalt = (reason: string, atMs: number) => {
    writtenTimes = null;
    settled = false;
    halted = true;
    haltReason = reason;
    haltedAtMs = atMs;
  };
  const clearHalt = () => {
    writtenTimes = null;
    settled = false;
    halted = false;
    haltReason = null;
    haltedAtMs = null;
  };
  const haltedBy = (prefix: string) => halted && haltReason !== null && haltReason.startsWith(prefix);

  /** Marks `out` denied with `reason`, keeping its first `checks` checks (those written by this evaluation). */
  const deny = (out: RiskDecisionBuffer, reason: string, checks = 0): RiskDecisionBuffer => {
    if (out.checks.length !== checks) out.checks.length = checks;
    out.approved = false;
    out.amount = out.stopPrice = NaN;
    out.reason = reason;
    return out;
  };
  /** Writes check `n` of `out` (a pooled record) and returns whether it passed. */
  const writeCheck = (out: RiskDecisionBuffer, n: number, name: RiskCheckName, value: number, limit: number, passed: boolean): boolean => {
    if (n === out.pool.length) out.pool.push({ name, value, limit, passed });
    const check = out.pool[n];
    check.name = name;
    check.value = value;
    check.limit = limit;
    check.passed = passed;
    if (out.checks.length > n) out.checks[n] = check;
    else out.checks.push(check);
    return passed;
  };

  function evaluate(ctx: PreTradeContext): RiskDecision {
    const out = evaluateInto(ctx, createRiskDecisionBuffer(), true);
    return out.approved ? { approved: true, amount: out.amount, stopPrice: out.stopPrice, checks: out.checks } : { approved: false, reason: out.reason, checks: out.checks, sizedAmount: out.sizedAmount };
  }

  function evaluateInto(ctx: PreTradeContext, out: RiskDecisionBuffer, describe: boolean): RiskDecisionBuffer {
    if (!Number.isFinite(ctx.price) || ctx.price <= 0) {
      throw new ValidationError('price', ctx.price, 'expected a finite price > 0');
    }
    requireFinite('equity', ctx.equity);
    requireFinite('currentPositionNotional', ctx.currentPositionNotional);
    requireFinite('totalOpenNotional', ctx.totalOpenNotional);
    if (!Number.isInteger(ctx.openPositions) || ctx.openPositions < 0) {
      throw new ValidationError('openPositions', ctx.openPositions, 'expected an integer >= 0');
    }
    if (ctx.side !== 'long' && ctx.side !== 'short') {
      throw new ValidationError('side', ctx.side, 'expected "long" or "short"');
    }
    const riskScale = ctx.riskScale ?? 1;
    if (!(Number.isFinite(riskScale) && riskScale > 0)) throw new ValidationError('riskScale', ctx.riskScale, 'expected a finite multiplier > 0');
    out.sizedAmount = NaN;

    if (halted) return deny(out, describe ? `halted: ${haltReason}` : '');
    if (ctx.equity <= 0) return deny(out, describe ? `equity ${fmt(ctx.equity)} is not positive` : '');

    const direction = ctx.side === 'long' ? 1 : -1;
    let stopPrice: number;
    if (Number.isFinite(ctx.stopHint)) {
      stopPrice = ctx.stopHint;
    } else if (Number.isFinite(ctx.atr) && ctx.atr > 0) {
      stopPrice = ctx.price - direction * cfg.atrStopMultiple * ctx.atr;
    } else {
      return deny(out, describe ? `no usable stop: stopHint ${fmt(ctx.stopHint)} and atr ${fmt(ctx.atr)}` : '');
    }
    if (direction * (ctx.price - stopPrice) <= 0) {
      return deny(out, describe ? `stop ${fmt(stopPrice)} is on the wrong side of price ${fmt(ctx.price)} for a ${ctx.side}` : '');
    }
    if (stopPrice <= 0) {
      return deny(out, describe ? `stop ${fmt(stopPrice)} is not a positive price` : '');
    }

    // Volatility sizing: the loss at the stop, with both adverse fills and both taker fees, equals the risk budget.
    const lossPerUnit = stopLossPerUnit(ctx.side, ctx.price, stopPrice, costs);
    const riskBudget = (ctx.equity * cfg.riskPerTradePct * riskScale) / 100;
    let amount = riskBudget / lossPerUnit;

    // Caps shrink the order; if nothing is left the corresponding check denies below.
    const maxSymbolNotional = (ctx.equity * cfg.maxSymbolExposurePct) / 100;
    const symbolRoom = (maxSymbolNotional - direction * ctx.currentPositionNotional) / ctx.price;
    const leverageRoom = (cfg.maxLeverage * ctx.equity - ctx.totalOpenNotional) / ctx.price;
    // A cap with no room at all is left to its check, so the denial names the limit that binds.
    if (symbolRoom > 0 && symbolRoom < amount) amount = symbolRoom;
    if (leverageRoom > 0 && leverageRoom < amount) amount = leverageRoom;
    out.sizedAmount = amount;

    const orderNotional = amount * ctx.price;
    const leverageAfter = (ctx.totalOpenNotional + orderNotional) / ctx.equity;
    const estLossPct = ((amount * lossPerUnit) / ctx.equity) * 100;
    const symbolExposurePct =
      (Math.abs(ctx.currentPositionNotional + direction * orderNotional) / ctx.equity) * 100;
    const opensNew = ctx.currentPositionNotional === 0;
    const positionsAfter = ctx.openPositions + (opensNew ? 1 : 0);

    // Limits compared inline (a helper taking numbers boxes them when not inlined).
    const tolerance = 1 + RISK_LIMIT_TOLERANCE;
    let n = 0;
    let failed = -1;
    if (ctx.leverageRequested !== undefined) {
      if (!writeCheck(out, n++, RiskCheckName.LeverageRequested, ctx.leverageRequested, cfg.maxLeverage, ctx.leverageRequested <= cfg.maxLeverage * tolerance)) failed = 0;
    }
    if (!writeCheck(out, n++, RiskCheckName.LeverageAfter, leverageAfter, cfg.maxLeverage, leverageAfter <= cfg.maxLeverage * tolerance) && failed < 0) failed = n - 1;
    if (!writeCheck(out, n++, RiskCheckName.EstLossPctEquity, estLossPct, cfg.maxLossPctEquityPerTrade, estLossPct <= cfg.maxLossPctEquityPerTrade * tolerance) && failed < 0) failed = n - 1;
    if (!writeCheck(out, n++, RiskCheckName.SymbolExposurePct, symbolExposurePct, cfg.maxSymbolExposurePct, symbolExposurePct <= cfg.maxSymbolExposurePct * tolerance) && failed < 0) failed = n - 1;
    if (!writeCheck(out, n++, RiskCheckName.OpenPositions, positionsAfter, cfg.maxOpenPositions, positionsAfter <= cfg.maxOpenPositions) && failed < 0) failed = n - 1;

    if (failed >= 0) {
      if (!describe) return deny(out, '', n);
      const check = out.checks[failed];
      const limitName =
        check.name === RiskCheckName.EstLossPctEquity
          ? 'maxLossPctEquityPerTrade'
          : check.name === RiskCheckName.SymbolExposurePct
            ? 'maxSymbolExposurePct'
            : check.name === RiskCheckName.OpenPositions
              ? 'maxOpenPositions'
              : 'maxLeverage';
      return deny(out, `${check.name} ${fmt(check.value)} exceeds ${limitName} ${fmt(check.limit)}`, n);
    }
    if (cfg.maxVarFraction !== null || cfg.maxExpectedShortfallFraction !== null) {
      if (checkPortfolio(ctx, direction * orderNotional, out, n)) return out;
      n = out.checks.length;
    }
    if (out.checks.length !== n) out.checks.length = n;
    out.approved = true;
    out.amount = amount;
    out.stopPrice = stopPrice;
    out.reason = '';
    return out;
  }

  /**
   * Appends the VaR / ES checks of the positions after an order adding `signedOrderNotional` to `ctx.symbol` to
   * `out` (after its first `n` checks); returns true when one fails or cannot be evaluated (`out` denied).
   * Allocates (the scenarios); only with a VaR or ES limit.
   */
  function checkPortfolio(ctx: PreTradeContext, signedOrderNotional: number, out: RiskDecisionBuffer, n: number): boolean {
    const portfolio = ctx.portfolio;
    const lookback = cfg.varLookbackCandles;
    if (!portfolio) {
      deny(out, `${VAR_NO_HISTORY}: no return history was supplied to evaluate the VaR / ES limits`, n);
      return true;
    }
    if (portfolio.history.length < lookback) {
      deny(
        out,
        `${VAR_NO_HISTORY}: ${portfolio.history.length} of the ${lookback} candle returns (${portfolio.timeframe}) of ${portfolio.history.symbols.join(', ') || ctx.symbol} that the VaR / ES limits need`,
        n,
      );
      return true;
    }
    const exposures: PositionExposure[] = [];
    let added = false;
    for (const e of portfolio.exposures) {
      if (e.symbol === ctx.symbol) {
        exposures.push({ symbol: e.symbol, notional: e.notional + signedOrderNotional });
        added = true;
      } else exposures.push(e);
    }
    if (!added) exposures.push({ symbol: ctx.symbol, notional: signedOrderNotional });
    const result = computeValueAtRisk({
      exposures,
      history: lastScenarios(portfolio.history, lookback),
      confidence: cfg.varConfidence,
      equity: ctx.equity,
    });
    const limits: [RiskCheckName, number | null, number, string][] = [
      [RiskCheckName.VarFraction, cfg.maxVarFraction, result.varFraction, 'maxVarFraction'],
      [RiskCheckName.ExpectedShortfallFraction, cfg.maxExpectedShortfallFraction, result.esFraction, 'maxExpectedShortfallFraction'],
    ];
    let failed: string | null = null;
    for (const [name, limit, value, limitName] of limits) {
      if (limit === null) continue;
      const passed = within(value, limit);
      writeCheck(out, n++, name, value, limit, passed);
      if (!passed && failed === null) failed = `${name} ${fmt(value)} of equity exceeds ${limitName} ${fmt(limit)}`;
    }
    if (out.checks.length !== n) out.checks.length = n;
    if (failed === null) return false;
    deny(out, `${failed} (${describeValueAtRisk(result, portfolio.timeframe)})`, n);
    return true;
  }

  /** Doubles the equity curve's buffers until they hold `points`. */
  function growCurveTo(points: number): void {
    while (capacity < points) growCurve();
  }

  /** Doubles the equity curve's buffers. */
  function growCurve(): void {
    capacity *= 2;
    const nextTime = new Float64Array(capacity);
    const nextEquity = new Float64Array(capacity);
    nextTime.set(curveTime);
    nextEquity.set(curveEquity);
    curveTime = nextTime;
    curveEquity = nextEquity;
  }

  /** [time, equity] for `onEquity`, whose numbers arrive as arguments. */
  const equityArguments = new Float64Array(2);
  function onEquity(timeMs: number, equity: number): void {
    equityArguments[0] = timeMs;
    equityArguments[1] = equity;
    onEquityFrom(equityArguments);
  }

  function onEquityFrom(values: Float64Array): void {
    // Per candle: no helper takes or returns a number below (a call that is not inlined boxes each one),
    // so the checks, the curve append and the UTC day are written out; helpers run on the cold paths only.
    const timeMs = values[0];
    const equity = values[1];
    if (!Number.isFinite(timeMs)) requireFinite('timeMs', timeMs);
    if (!Number.isFinite(equity)) requireFinite('equity', equity);
    if (timeMs < tracked[TRACKED_LAST_TIME_MS]) failEarlierTime(values);
    const unchanged = settled && equity === tracked[TRACKED_LAST_EQUITY] && timeMs >= tracked[TRACKED_DAY_START_MS] && timeMs < tracked[TRACKED_DAY_END_MS];
    tracked[TRACKED_LAST_TIME_MS] = timeMs;
    tracked[TRACKED_LAST_EQUITY] = equity;
    if (length === capacity) growCurve();
    curveTime[length] = timeMs;
    curveEquity[length] = equity;
    length++;
    if (unchanged) return;

    // Within the UTC day this engine last rolled to, the day is known without the two divisions.
    let day = tracked[TRACKED_DAY_START_MS];
    if (!(timeMs >= day && timeMs < tracked[TRACKED_DAY_END_MS])) day = timeMs - (((timeMs % DAY_MS) + DAY_MS) % DAY_MS);
    if (Number.isNaN(tracked[TRACKED_DAY_START_MS]) || day > tracked[TRACKED_DAY_START_MS]) {
      tracked[TRACKED_DAY_START_MS] = day;
      tracked[TRACKED_DAY_END_MS] = day + DAY_MS;
      tracked[TRACKED_DAY_START_EQUITY] = equity;
      if (haltedBy(BreakerName.DailyLoss)) clearHalt();
    }
    if (Number.isNaN(tracked[TRACKED_PEAK_EQUITY]) || equity > tracked[TRACKED_PEAK_EQUITY]) tracked[TRACKED_PEAK_EQUITY] = equity;
    // Checked below; a trip clears it again (setHalt).
    settled = true;

    // Drawdown first: it needs a manual resume, so it overrides a daily halt but not a manual one.
    const drawdownPct = tracked[TRACKED_PEAK_EQUITY] > 0 ? ((tracked[TRACKED_PEAK_EQUITY] - equity) / tracked[TRACKED_PEAK_EQUITY]) * 100 : 0;
    if (drawdownPct >= breakerLimits[0] && (!halted || haltedBy(BreakerName.DailyLoss))) {
      tripDrawdown(values);
      return;
    }
    const dayLossPct = tracked[TRACKED_DAY_START_EQUITY] > 0 ? ((tracked[TRACKED_DAY_START_EQUITY] - equity) / tracked[TRACKED_DAY_START_EQUITY]) * 100 : 0;
    if (dayLossPct >= breakerLimits[1] && !halted) tripDailyLoss(values);
  }

  /** Cold path of `onEquityFrom`: its message quotes numbers, which a template in the per-candle function boxed on every call. */
  function failEarlierTime(values: Float64Array): never {
    throw new ValidationError('timeMs', values[0], `expected a time >= the previous ${tracked[TRACKED_LAST_TIME_MS]}`);
  }

  /** Whether the equity `values[1]` is where the last point left it, once a point was checked (the steady points' equity rule). */
  function steadyEquity(values: Float64Array): boolean {
    return settled && values[1] === tracked[TRACKED_LAST_EQUITY];
  }

  // The steady points are checked once: `steadyEquityRows` writes them past the curve's end as it checks them, and
  // `recordSteadyEquity` of the same rows right after takes them as they are (a pass over the stretch that checked each
  // point again as it wrote it, measured at 1-2 % of a backtest of mostly idle candles, BTC/USDT 5m).
  function steadyEquityRows(openTimesMs: Float64Array, from: number, to: number, addMs: number, values: Float64Array): number {
    writtenTimes = null;
    if (!steadyEquity(values) || from >= to) return 0;
    if (length + (to - from) > capacity) growCurveTo(length + (to - from));
    const count = writeSteadyPoints(openTimesMs, from, to, addMs, values, curveTime, curveEquity, length, tracked);
    writtenTimes = openTimesMs;
    writtenFrom = from;
    writtenCount = count;
    writtenAt[0] = length;
    writtenAt[1] = addMs;
    return count;
  }

  function recordSteadyEquity(openTimesMs: Float64Array, from: number, to: number, addMs: number, values: Float64Array): void {
    if (from >= to) return;
    if (!steadyEquity(values)) failUnsteady(from, to, values);
    const written = openTimesMs === writtenTimes && from === writtenFrom && to - from <= writtenCount && writtenAt[0] === length && writtenAt[1] === addMs && curveEquity[length] === values[1];
    writtenTimes = null;
    if (!written) {
      if (length + (to - from) > capacity) growCurveTo(length + (to - from));
      // One pass: each point is checked (in order, within the last point's day) as it is written past the curve's end;
      // the curve takes them only once all passed, so a refused stretch records nothing.
      if (writeSteadyPoints(openTimesMs, from, to, addMs, values, curveTime, curveEquity, length, tracked) !== to - from) failUnsteady(from, to, values);
    }
    length += to - from;
    tracked[TRACKED_LAST_TIME_MS] = curveTime[length - 1];
  }

  /** Cold path of `recordSteadyEquity`. */
  function failUnsteady(from: number, to: number, values: Float64Array): never {
    throw new RangeError(`equity ${values[1]} at rows ${from}..${to - 1} is not steady: record it with onEquityFrom`);
  }

  /**
   * The breaker trips of `onEquityFrom` (time and equity in `values`), apart so that their messages, which
   * box the figures they quote, are built only when a breaker trips.
   */
  function tripDrawdown(values: Float64Array): void {
    const equity = values[1];
    const peak = tracked[TRACKED_PEAK_EQUITY];
    const drawdownPct = peak > 0 ? ((peak - equity) / peak) * 100 : 0;
    setHalt(`${BreakerName.MaxDrawdown}: equity ${fmt(equity)} is ${fmt(drawdownPct)}% below peak ${fmt(peak)} (limit ${fmt(cfg.maxDrawdownPct)}%)`, values[0]);
  }

  function tripDailyLoss(values: Float64Array): void {
    const equity = values[1];
    const start = tracked[TRACKED_DAY_START_EQUITY];
    const dayLossPct = start > 0 ? ((start - equity) / start) * 100 : 0;
    setHalt(`${BreakerName.DailyLoss}: equity ${fmt(equity)} is ${fmt(dayLossPct)}% below day start ${fmt(start)} (limit ${fmt(cfg.dailyLossLimitPct)}%)`, values[0]);
  }

  function breakers(): BreakerStatus[] {
    const dailyTrip = tracked[TRACKED_DAY_START_EQUITY] * (1 - cfg.dailyLossLimitPct / 100);
    const dailyPct = ((tracked[TRACKED_DAY_START_EQUITY] - tracked[TRACKED_LAST_EQUITY]) / tracked[TRACKED_DAY_START_EQUITY]) * 100;
    const drawdownTrip = tracked[TRACKED_PEAK_EQUITY] * (1 - cfg.maxDrawdownPct / 100);
    const drawdownPct = ((tracked[TRACKED_PEAK_EQUITY] - tracked[TRACKED_LAST_EQUITY]) / tracked[TRACKED_PEAK_EQUITY]) * 100;
    return [
      {
        name: BreakerName.DailyLoss,
        tripped: haltedBy(BreakerName.DailyLoss),
        limitPct: cfg.dailyLossLimitPct,
        currentPct: dailyPct,
        headroomPct: cfg.dailyLossLimitPct - dailyPct,
        tripEquity: dailyTrip,
        headroomEquity: tracked[TRACKED_LAST_EQUITY] - dailyTrip,
      },
      {
        name: BreakerName.MaxDrawdown,
        tripped: haltedBy(BreakerName.MaxDrawdown),
        limitPct: cfg.maxDrawdownPct,
        currentPct: drawdownPct,
        headroomPct: cfg.maxDrawdownPct - drawdownPct,
        tripEquity: drawdownTrip,
        headroomEquity: tracked[TRACKED_LAST_EQUITY] - drawdownTrip,
      },
    ];
  }

  function restore(record: RiskStateRecord): void {
    if (record.accountId !== cfg.accountId) {
      throw new ValidationError('accountId', record.accountId, `expected "${cfg.accountId}"`);
    }
    if (record.halted && (typeof record.haltReason !== 'string' || record.haltReason.length === 0)) {
      throw new ValidationError('haltReason', record.haltReason, 'a halted state needs a reason');
    }
    for (const field of ['dayStartEquity', 'dayStartMs', 'peakEquity'] as const) {
      const value = record[field];
      // NaN means "not yet known": a state saved before the first onEquity.
      if (typeof value !== 'number' || (!Number.isFinite(value) && !Number.isNaN(value))) {
        throw new ValidationError(field, value, 'expected a finite number (or NaN before the first equity)');
      }
    }
    writtenTimes = null;
    settled = false;
    halted = record.halted;
    haltReason = record.halted ? record.haltReason : null;
    haltedAtMs = record.halted ? record.haltedAtMs : null;
    tracked[TRACKED_DAY_START_EQUITY] = record.dayStartEquity;
    tracked[TRACKED_DAY_START_MS] = record.dayStartMs;
    tracked[TRACKED_DAY_END_MS] = NaN;
    tracked[TRACKED_PEAK_EQUITY] = record.peakEquity;
  }

  return {
    config: cfg,
    evaluate,
    evaluateInto,
    onEquity,
    onEquityFrom,
    steadyEquityRows,
    recordSteadyEquity,
    halt(reason: string) {
      setHalt(`manual: ${reason}`, deps.clock.nowMs());
    },
    resume() {
      clearHalt();
      if (Number.isFinite(tracked[TRACKED_LAST_EQUITY])) {
        tracked[TRACKED_DAY_START_EQUITY] = tracked[TRACKED_LAST_EQUITY];
        tracked[TRACKED_PEAK_EQUITY] = tracked[TRACKED_LAST_EQUITY];
      }
    },
    isHalted: () => halted,
    state(): RiskStateRecord {
      return {
        accountId: cfg.accountId,
        halted,
        haltReason,
        haltedAtMs,
        dayStartEquity: tracked[TRACKED_DAY_START_EQUITY],
        dayStartMs: tracked[TRACKED_DAY_START_MS],
        peakEquity: tracked[TRACKED_PEAK_EQUITY],
        updatedAtMs: deps.clock.nowMs(),
      };
    },
    restore,
    breakers,
    equityCurve() {
      return { timeMs: curveTime.subarray(0, length), equity: curveEquity.subarray(0, length) };
    },
    clearEquityCurve() {
      writtenTimes = null;
      length = 0;
    },
  };
}

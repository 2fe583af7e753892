/**
 * The account's one live risk engine, as the dashboard and the live loop share it: restored from
 * and persisted to the RiskStateRepository (so a halt survives restarts), rebuilt when an admin
 * changes the limits (keeping its state), with manual halt/resume, breaker status at the current
 * equity and copies for what-if evaluation.
 */
import type { Clock } from '../core/clock';
import type { RiskStateRecord, RiskStateRepository } from '../ports/risk-state';
import { createRiskEngine, type BreakerStatus, type RiskConfig, type RiskEngine } from './risk-engine';
import { ZERO_TRADING_COSTS, type TradingCosts } from './trading-costs';

/** Account id of the paper account's risk state (the risk engine's default account). */
export const DESK_ACCOUNT_ID = 'default';

/** Halt state and breaker headroom at an equity. Money in quote currency. */
export interface RiskStatus {
  accountId: string;
  halted: boolean;
  haltReason: string | null;
  haltedAtMs: number | null;
  /** Equity the breakers were evaluated at. */
  equity: number;
  breakers: BreakerStatus[];
  limits: Readonly<RiskEngine['config']>;
}

export interface RiskDesk {
  /** The live engine: every trading loop of the account evaluates and feeds equity through this one instance (stable across `reconfigure`). */
  engine(): RiskEngine;
  /**
   * Replaces the limits, keeping halt, day start and peak, and the account's trading costs (those come from
   * `deps.costs` or `costs` — the account's fee model — never from the limits). @throws ValidationError naming the field for bad limits.
   */
  reconfigure(limits: Omit<RiskConfig, 'accountId' | 'costs'>, costs?: TradingCosts): void;
  /**
   * `reconfigure` in two steps, for a save: checks `limits` now (@throws ValidationError naming the field, with
   * nothing changed) and returns the swap, which the caller runs once the limits are stored. A store that fails
   * then leaves the engine on the limits still stored.
   */
  prepare(limits: Omit<RiskConfig, 'accountId' | 'costs'>, costs?: TradingCosts): () => void;
  /**
   * A throw-away copy of the live state brought to `equity` at the clock's now (day roll, peak,
   * breaker trips applied), for status and what-if; evaluating it changes nothing.
   */
  copyAt(equity: number): RiskEngine;
  /** Status at `equity` (from a copy). */
  status(equity: number): RiskStatus;
  /** Halts new entries (`manual: <reason>`) and persists the state brought to `equity`. */
  halt(reason: string, equity: number): Promise<RiskStatus>;
  /** Clears the halt, re-bases day start and peak to `equity`, persists. */
  resume(equity: number): Promise<RiskStatus>;
}

/**
/**
 * Builds the desk and restores the persisted state of `deps.accountId` (default {@link DESK_ACCOUNT_ID}).
 * Orders are sized with `deps.costs`, the account's costs from `tradingCostsOf(feeModel)`; without them
 * sizing assumes no costs (right only for a venue without fees, spread or slippage).
 * @throws ValidationError naming the field when the limits or costs are invalid or the stored state is corrupt.
 */
export async function createRiskDesk(
  limits: Omit<RiskConfig, 'accountId' | 'costs'>,
  deps: { clock: Clock; riskState: RiskStateRepository; costs?: TradingCosts; accountId?: string },
): Promise<RiskDesk> {
  const accountId = deps.accountId ?? DESK_ACCOUNT_ID;
  let costs = deps.costs ?? ZERO_TRADING_COSTS;
  const build = (l: Omit<RiskConfig, 'accountId' | 'costs'>, c: TradingCosts = costs) => createRiskEngine({ ...l, accountId, costs: c }, { clock: deps.clock });
  let live = build(limits);
  const saved = await deps.riskState.load(accountId);
  if (saved) live.restore(saved);

  const copyAt = (equity: number): RiskEngine => {
    const copy = build(live.config);
    copy.restore(live.state());
    copy.onEquity(deps.clock.nowMs(), equity);
    return copy;
  };
  const statusOf = (engine: RiskEngine, equity: number): RiskStatus => {
    const state = engine.state();
    return { accountId: state.accountId, halted: state.halted, haltReason: state.haltReason, haltedAtMs: state.haltedAtMs, equity, breakers: engine.breakers(), limits: engine.config };
  };
  /** Brings the live state to `equity` (restore keeps the live engine's own equity curve and time), persists it. */
  const persistAt = async (equity: number, change: (engine: RiskEngine) => void): Promise<RiskStatus> => {
    const copy = copyAt(equity);
    change(copy);
    const state: RiskStateRecord = copy.state();
    await deps.riskState.save(state);
    live.restore(state);
    return statusOf(copy, equity);
  };

  // The engine sessions hold: stable across `reconfigure` (new limits reach running sessions at their
  // next order), and shared by every session of the account, whose candles may arrive out of time
  // order across markets: equity is recorded at the latest time seen.
  let lastEquityTimeMs = -Infinity;
  const shared: RiskEngine = {
    get config() {
      return live.config;
    },
    evaluate: (ctx) => live.evaluate(ctx),
    evaluateInto: (ctx, out, describe) => live.evaluateInto(ctx, out, describe),
    onEquity(timeMs, equity) {
      lastEquityTimeMs = Math.max(lastEquityTimeMs, timeMs);
      live.onEquity(lastEquityTimeMs, equity);
    },
    onEquityFrom(values) {
      lastEquityTimeMs = Math.max(lastEquityTimeMs, values[0]);
      live.onEquity(lastEquityTimeMs, values[1]);
    },
    // Sessions record one candle at a time (at the latest time any of them has seen); nothing here records in bulk.
    steadyEquityRows: () => 0,
    recordSteadyEquity: () => {
      throw new RangeError('the shared risk engine records equity one candle at a time');
    },
    halt: (reason) => live.halt(reason),
    resume: () => live.resume(),
    isHalted: () => live.isHalted(),
    state: () => live.state(),
    restore: (record) => live.restore(record),
    breakers: () => live.breakers(),
    equityCurve: () => live.equityCurve(),
    clearEquityCurve: () => live.clearEquityCurve(),
  };

  function prepare(next: Omit<RiskConfig, 'accountId' | 'costs'>, nextCosts?: TradingCosts): () => void {
    const rebuilt = build(next, nextCosts ?? costs); // throws before anything changes
    return () => {
      if (nextCosts) costs = nextCosts;
      rebuilt.restore(live.state());
      live = rebuilt;
    };
  }

  return {
    engine: () => shared,
    reconfigure(next, nextCosts) {
      prepare(next, nextCosts)();
    },
    prepare,
    copyAt,
    status: (equity) => statusOf(copyAt(equity), equity),
    halt: (reason, equity) => persistAt(equity, (e) => e.halt(reason)),
    resume: (equity) => persistAt(equity, (e) => e.resume()),
  };
}

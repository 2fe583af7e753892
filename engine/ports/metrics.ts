/**
 * The engine's metrics port. The engine reports what happened (a fill, a denial, an order state,
 * equity, a breaker, a job) through `MetricsSink`; an adapter outside the engine (prom-client in
 * `app/_server/telemetry/`) turns the calls into Prometheus series. Every method takes primitives
 * and returns nothing, so a call allocates nothing and never throws into the caller.
 *
 * Label values are bounded sets (the `as const` enums below, order states, breaker and job kinds),
 * never free text: a Prometheus label with unbounded values would grow the series count forever.
 */
import type { OrderStatus, OrderSide } from '../core/types';

/** Receives engine measurements. Implementations must not throw and should not allocate per call. */
export interface MetricsSink {
  /** A fill of `side` on `symbol` (one per order that filled, partially or fully). */
  onFill(symbol: string, side: OrderSide): void;
  /** An order that was not sent or was refused, by bounded code. */
  onDenied(code: DenialCode): void;
  /** An order reached `state` (counted once per report). */
  onOrderState(state: OrderStatus): void;
  /** Latest account equity (quote currency) and drawdown from the peak, percent (0 at a peak). */
  onEquity(equity: number, drawdownPct: number): void;
  /** Number of symbols with an open position. */
  onOpenPositions(count: number): void;
  /** A circuit breaker (`daily_loss`, `max_drawdown`, `manual`) tripped (true) or cleared (false). */
  onBreaker(name: string, tripped: boolean): void;
  /** A job attempt of `kind` ended with `status` after `durationMs` milliseconds. */
  onJob(kind: string, status: JobRunStatus, durationMs: number): void;
  /** A notification to a channel of `channelKind` was sent, failed for good, or dropped from a full queue. */
  onNotification(channelKind: string, outcome: NotificationOutcome): void;
}

/** A sink that records nothing: the default when no metrics adapter is wired. */
export const noopMetricsSink: MetricsSink = {
  onFill() {},
  onDenied() {},
  onOrderState() {},
  onEquity() {},
  onOpenPositions() {},
  onBreaker() {},
  onJob() {},
  onNotification() {},
};

/** How a job attempt ended, as a metric label. */
export const JobRunStatus = { Succeeded: 'succeeded', Failed: 'failed', Cancelled: 'cancelled' } as const;
export type JobRunStatus = (typeof JobRunStatus)[keyof typeof JobRunStatus];

/** How a notification delivery ended, as a metric label. */
export const NotificationOutcome = { Sent: 'sent', Failed: 'failed', Dropped: 'dropped' } as const;
export type NotificationOutcome = (typeof NotificationOutcome)[keyof typeof NotificationOutcome];

/**
 * Why an order did not go out, as a bounded label. The full human reason stays in the decision log.
 * `risk_limit:<check>` codes name the first failed pre-trade check.
 */
export const DenialCode = {
  Halted: 'halted',
  NonPositiveEquity: 'non_positive_equity',
  NoUsableStop: 'no_usable_stop',
  InvalidStop: 'invalid_stop',
  LeverageRequested: 'risk_limit:leverage_requested',
  LeverageAfter: 'risk_limit:leverage_after',
  EstLossPctEquity: 'risk_limit:est_loss_pct_equity',
  SymbolExposurePct: 'risk_limit:symbol_exposure_pct',
  OpenPositions: 'risk_limit:open_positions',
  VarFraction: 'risk_limit:var_fraction',
  ExpectedShortfallFraction: 'risk_limit:es_fraction',
  /** A VaR / ES limit is set but the return history to evaluate it is missing or too short. */
  NoReturnHistory: 'no_return_history',
  ExchangeRejected: 'exchange_rejected',
  UnknownMarket: 'unknown_market',
  Other: 'other',
} as const;
export type DenialCode = (typeof DenialCode)[keyof typeof DenialCode];

/**
 * `EngineEvents`: the one port the trading loop and the job runners report events through
 * (engine/telemetry/engine-events.ts fans them out to metrics and notifications).
 */
import type { Order } from './exchange';
import type { DenialCode, JobRunStatus } from './metrics';

/** Why the loop sent an order (or why the venue closed a position). */
export const OrderPurpose = { Entry: 'entry', Exit: 'exit', Stop: 'stop', Liquidation: 'liquidation' } as const;
export type OrderPurpose = (typeof OrderPurpose)[keyof typeof OrderPurpose];

/** A position the venue closed on its own (stop or liquidation), as the loop hears about it. */
export interface VenueCloseEvent {
  symbol: string;
  /** Side of the position that closed. */
  side: 'long' | 'short';
  amount: number;
  exitPrice: number;
  exitTimeMs: number;
  exitReason: string;
}

/** One job attempt's end, for metrics and failure notifications. */
export interface JobEndEvent {
  ticketId: string;
  kind: string;
  /** 1-based attempt number. */
  attempt: number;
  status: JobRunStatus;
  durationMs: number;
  /** Failure message (status `failed`). */
  error?: string;
  /** False when the failure is retryable and the runner may try again. */
  final?: boolean;
  timeMs: number;
}

/** What the loop and the runners report. Implementations never throw. */
export interface EngineEvents {
  /** An order the loop created, as the venue answered (any status). */
  onOrder(order: Order, purpose: OrderPurpose, timeMs: number): void;
  /** The venue closed a position by itself (stop, liquidation): a fill the loop did not send. */
  onVenueClose(close: VenueCloseEvent): void;
  /** An order was not sent (risk, halt) or the venue refused it. */
  onDenied(symbol: string, code: DenialCode, reason: string, timeMs: number): void;
  /** Account state after a fill: equity (quote), drawdown from the peak (percent), open positions. */
  onAccount(equity: number, drawdownPct: number, openPositions: number): void;
  /** A breaker (`daily_loss`, `max_drawdown`, `manual`) tripped or cleared; `reason` is the halt text. */
  onBreaker(name: string, tripped: boolean, reason: string, timeMs: number): void;
  /** Trading was halted by hand. */
  onHalt(reason: string, timeMs: number): void;
  onJobEnd(job: JobEndEvent): void;
}

/** Events that go nowhere: the default when nothing is wired. */
export const noopEngineEvents: EngineEvents = {
  onOrder() {},
  onVenueClose() {},
  onDenied() {},
  onAccount() {},
  onBreaker() {},
  onHalt() {},
  onJobEnd() {},
};

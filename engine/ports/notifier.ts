/** The notification port: what the engine tells people about, and the `Notifier` that carries it. */
import type { OrderSide } from '../core/types';

/** Every kind of notification; the routing table is keyed by these. */
export const NotificationKind = {
  Fill: 'fill',
  Denial: 'denial',
  BreakerTrip: 'breaker_trip',
  Halt: 'halt',
  JobFailure: 'job_failure',
  DailySummary: 'daily_summary',
} as const;
export type NotificationKind = (typeof NotificationKind)[keyof typeof NotificationKind];
export const NOTIFICATION_KINDS = Object.values(NotificationKind) as readonly NotificationKind[];

/** An order filled (partially or fully). Amount in base currency, price in quote currency. */
export interface FillNotification {
  kind: typeof NotificationKind.Fill;
  timeMs: number;
  symbol: string;
  side: OrderSide;
  amount: number;
  price: number;
  orderId: string;
  /** Why the order went out: `entry`, `exit`, `stop`, `liquidation`. */
  purpose: string;
}

/** An order that risk or the exchange refused. `code` is a bounded DenialCode; `reason` the full text. */
export interface DenialNotification {
  kind: typeof NotificationKind.Denial;
  timeMs: number;
  symbol: string;
  code: string;
  reason: string;
}

/** A circuit breaker tripped and new entries are halted. */
export interface BreakerTripNotification {
  kind: typeof NotificationKind.BreakerTrip;
  timeMs: number;
  breaker: string;
  reason: string;
}

/** Trading was halted by hand (or by an operator command). */
export interface HaltNotification {
  kind: typeof NotificationKind.Halt;
  timeMs: number;
  reason: string;
}

/** A background job attempt failed. `final` is false when the runner will retry. */
export interface JobFailureNotification {
  kind: typeof NotificationKind.JobFailure;
  timeMs: number;
  ticketId: string;
  jobKind: string;
  attempt: number;
  error: string;
  final: boolean;
}

/** End-of-day account summary. Money in quote currency. */
export interface DailySummaryNotification {
  kind: typeof NotificationKind.DailySummary;
  timeMs: number;
  /** UTC midnight of the summarised day, epoch ms. */
  dayStartMs: number;
  equity: number;
  trades: number;
  wins: number;
  losses: number;
  netPnl: number;
}

export type NotificationEvent =
  | FillNotification
  | DenialNotification
  | BreakerTripNotification
  | HaltNotification
  | JobFailureNotification
  | DailySummaryNotification;

/** The engine's notification port. `notify` never blocks and never throws. */
export interface Notifier {
  notify(event: NotificationEvent): void;
}

/** A notifier that drops everything: the default when none is wired. */
export const noopNotifier: Notifier = { notify() {} };

/**
 * What the engine tells people about: fills, denials, breaker trips, halts, job failures and
 * daily summaries. The engine emits these through the `Notifier` port; `createNotifier` routes
 * each kind to the channels an admin chose (Telegram, Discord, Slack, signed webhook).
 */
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

const number = (value: number) => (Number.isFinite(value) ? String(Number(value.toFixed(8))) : String(value));
const isoTime = (timeMs: number) => (Number.isFinite(timeMs) ? new Date(timeMs).toISOString() : String(timeMs));

/**
 * One-line human text for chat channels, e.g.
 * `[Aethelred] fill: buy 0.5 BTC/USDT at 42000 (entry, order "o-1") at 2024-01-01T00:00:00.000Z`.
 */
export function formatNotification(event: NotificationEvent): string {
  const at = ` at ${isoTime(event.timeMs)}`;
  switch (event.kind) {
    case NotificationKind.Fill:
      return `[Aethelred] fill: ${event.side} ${number(event.amount)} ${event.symbol} at ${number(event.price)} (${event.purpose}, order "${event.orderId}")${at}`;
    case NotificationKind.Denial:
      return `[Aethelred] denied ${event.symbol} (${event.code}): ${event.reason}${at}`;
    case NotificationKind.BreakerTrip:
      return `[Aethelred] breaker "${event.breaker}" tripped, new entries halted: ${event.reason}${at}`;
    case NotificationKind.Halt:
      return `[Aethelred] trading halted: ${event.reason}${at}`;
    case NotificationKind.JobFailure:
      return `[Aethelred] job "${event.jobKind}" (ticket "${event.ticketId}") attempt ${event.attempt} failed${event.final ? '' : ' (will retry if attempts remain)'}: ${event.error}${at}`;
    case NotificationKind.DailySummary:
      return `[Aethelred] daily summary for ${isoTime(event.dayStartMs).slice(0, 10)}: equity ${number(event.equity)}, ${event.trades} trades (${event.wins} won, ${event.losses} lost), net PnL ${number(event.netPnl)}`;
  }
}

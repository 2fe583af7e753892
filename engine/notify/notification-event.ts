/**
 * What the engine tells people about: fills, denials, breaker trips, halts, job failures and
 * daily summaries. The engine emits these through the `Notifier` port; `createNotifier` routes
 * each kind to the channels an admin chose (Telegram, Discord, Slack, signed webhook).
 */
import { NotificationKind, type NotificationEvent, type Notifier } from '../ports/notifier';

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

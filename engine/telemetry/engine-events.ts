/**
 * The default fan-out of `EngineEvents` (the port is engine/ports/events.ts): `createEngineEvents`
 * turns each event into metrics (MetricsSink) and, for the kinds people care about, a notification
 * (Notifier). Called only when something happens (an order, a denial, a breaker change, a job
 * end), never per candle.
 */
import type { Logger } from '../core/logger';
import type { OrderSide } from '../core/types';
import type { Order } from '../ports/exchange';
import { NotificationKind, noopNotifier, type Notifier } from '../ports/notifier';
import { DenialCode, JobRunStatus, noopMetricsSink, type MetricsSink } from '../ports/metrics';
import type { EngineEvents } from '../ports/events';

/**
 * Fans events out to metrics and notifications. Fills, denials (except `halted` ones, counted only),
 * breaker trips (not clears), halts and failed jobs become notifications; everything becomes metrics. Swallows (and logs) any sink failure.
 */
export function createEngineEvents(deps: { metrics?: MetricsSink; notifier?: Notifier; logger: Logger }): EngineEvents {
  const metrics = deps.metrics ?? noopMetricsSink;
  const notifier = deps.notifier ?? noopNotifier;
  const guard = (what: string, body: () => void) => {
    try {
      body();
    } catch (error) {
      deps.logger.error({ err: error, event: what }, 'an event sink failed');
    }
  };
  return {
    onOrder(order, purpose, timeMs) {
      guard('order', () => {
        metrics.onOrderState(order.status);
        if (order.filled > 0) {
          metrics.onFill(order.symbol, order.side);
          notifier.notify({
            kind: NotificationKind.Fill,
            timeMs,
            symbol: order.symbol,
            side: order.side,
            amount: order.filled,
            price: order.averagePrice,
            orderId: order.id,
            purpose,
          });
        }
      });
    },
    onVenueClose(close) {
      guard('venue_close', () => {
        const side: OrderSide = close.side === 'long' ? 'sell' : 'buy';
        metrics.onOrderState('filled');
        metrics.onFill(close.symbol, side);
        notifier.notify({
          kind: NotificationKind.Fill,
          timeMs: close.exitTimeMs,
          symbol: close.symbol,
          side,
          amount: close.amount,
          price: close.exitPrice,
          orderId: close.exitReason,
          purpose: close.exitReason,
        });
      });
    },
    onDenied(symbol, code, reason, timeMs) {
      guard('denied', () => {
        metrics.onDenied(code);
        // While halted every signal is denied; the halt itself was announced once, so these are only counted.
        if (code !== DenialCode.Halted) notifier.notify({ kind: NotificationKind.Denial, timeMs, symbol, code, reason });
      });
    },
    onAccount(equity, drawdownPct, openPositions) {
      guard('account', () => {
        metrics.onEquity(equity, drawdownPct);
        metrics.onOpenPositions(openPositions);
      });
    },
    onBreaker(name, tripped, reason, timeMs) {
      guard('breaker', () => {
        metrics.onBreaker(name, tripped);
        if (tripped) notifier.notify({ kind: NotificationKind.BreakerTrip, timeMs, breaker: name, reason });
      });
    },
    onHalt(reason, timeMs) {
      guard('halt', () => {
        metrics.onBreaker('manual', true);
        notifier.notify({ kind: NotificationKind.Halt, timeMs, reason });
      });
    },
    onJobEnd(job) {
      guard('job', () => {
        metrics.onJob(job.kind, job.status, job.durationMs);
        if (job.status === JobRunStatus.Failed) {
          notifier.notify({
            kind: NotificationKind.JobFailure,
            timeMs: job.timeMs,
            ticketId: job.ticketId,
            jobKind: job.kind,
            attempt: job.attempt,
            error: job.error ?? 'no error message',
            final: job.final ?? true,
          });
        }
      });
    },
  };
}

type ChildCapable = Logger & { child?: (bindings: Record<string, unknown>) => Logger };

/**
 * A logger that adds `bindings` to every entry: pino's `child` when the logger has one, else a
 * wrapper that merges them (entry fields win). Used to tag a job's logs with its ticket id.
 */
export function bindLogger(logger: Logger, bindings: Record<string, unknown>): Logger {
  const capable = logger as ChildCapable;
  if (typeof capable.child === 'function') return capable.child(bindings);
  return {
    debug: (obj, msg) => logger.debug({ ...bindings, ...obj }, msg),
    info: (obj, msg) => logger.info({ ...bindings, ...obj }, msg),
    warn: (obj, msg) => logger.warn({ ...bindings, ...obj }, msg),
    error: (obj, msg) => logger.error({ ...bindings, ...obj }, msg),
  };
}

/**
 * The prom-client adapter: one `Registry` per composition root (never the library's global
 * registry), the engine's `MetricsSink` implemented on it, HTTP latency, job queue depth read at
 * scrape time, and Node.js process metrics. `GET /api/metrics` serves `metricsText()`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '@/engine/core/logger';
import type { MetricsSink } from '@/engine/ports/metrics';
import type { LeaseStatus } from '@/engine/live/live-session-manager';

/** Metric names, for the Grafana dashboard and the README. */
export const METRIC = {
  equity: 'aethelred_equity',
  drawdown: 'aethelred_drawdown_percent',
  openPositions: 'aethelred_open_positions',
  orders: 'aethelred_orders_total',
  fills: 'aethelred_fills_total',
  denials: 'aethelred_denials_total',
  breaker: 'aethelred_breaker_tripped',
  jobQueueDepth: 'aethelred_job_queue_depth',
  jobDuration: 'aethelred_job_duration_seconds',
  httpDuration: 'aethelred_http_request_duration_seconds',
  notifications: 'aethelred_notifications_total',
  sessionLeaseAge: 'aethelred_session_lease_age_seconds',
  sessionOwner: 'aethelred_session_owner',
} as const;

/** Breakers pre-set to 0 so dashboards show them before the first trip. */
const KNOWN_BREAKERS = ['daily_loss', 'max_drawdown', 'manual'] as const;

export interface PrometheusTelemetryOptions {
  logger: Logger;
  /** Node.js process metrics (CPU, memory, event loop lag, GC); default true. */
  defaultMetrics?: boolean;
  /** Tickets per status (`queued`, `running`), read at each scrape; omit when there is no job queue. */
  jobQueueDepth?: () => Promise<Record<string, number>>;
  /** The session leases this trader holds (a trader's or `all`'s live manager), read at each scrape; omit on web and worker. */
  sessionLeases?: () => LeaseStatus | null;
}

/** One HTTP request's outcome, as the gate (or any handler) reports it. */
export interface HttpObservation {
  /** The route pattern (e.g. `/api/webhooks/[id]`), never the raw path: ids would explode the series. */
  route: string;
  method: string;
  status: number;
  durationMs: number;
}

export interface PrometheusTelemetry {
  readonly registry: Registry;
  /** The engine's metrics port, backed by this registry. */
  readonly sink: MetricsSink;
  /** Records an HTTP request's latency (seconds histogram by route, method, status). Never throws. */
  observeHttp(observation: HttpObservation): void;
  /** The registry in the Prometheus text exposition format. */
  metricsText(): Promise<string>;
  /** `text/plain; version=0.0.4; charset=utf-8`. */
  readonly contentType: string;
}

/** Builds the registry and its metrics. Call once per root. */
export function createPrometheusTelemetry(options: PrometheusTelemetryOptions): PrometheusTelemetry {
  const registry = new Registry();
  const registers = [registry];
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  const equity = new Gauge({ name: METRIC.equity, help: 'Account equity, quote currency (after the last fill)', registers });
  const drawdown = new Gauge({ name: METRIC.drawdown, help: 'Drawdown from the equity peak, percent', registers });
  const openPositions = new Gauge({ name: METRIC.openPositions, help: 'Symbols with an open position', registers });
  const orders = new Counter({ name: METRIC.orders, help: 'Orders by the state the venue reported', labelNames: ['state'] as const, registers });
  const fills = new Counter({ name: METRIC.fills, help: 'Filled orders by symbol and side', labelNames: ['symbol', 'side'] as const, registers });
  const denials = new Counter({ name: METRIC.denials, help: 'Orders denied by risk, a halt or the venue, by reason code', labelNames: ['reason'] as const, registers });
  const breaker = new Gauge({ name: METRIC.breaker, help: '1 while a circuit breaker (or a manual halt) stops new entries', labelNames: ['breaker'] as const, registers });
  for (const name of KNOWN_BREAKERS) breaker.set({ breaker: name }, 0);
  const jobDuration = new Histogram({
    name: METRIC.jobDuration,
    help: 'Job attempt duration by kind and outcome, seconds',
    labelNames: ['kind', 'status'] as const,
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers,
  });
  const httpDuration = new Histogram({
    name: METRIC.httpDuration,
    help: 'HTTP request duration by route, method and status, seconds',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const notifications = new Counter({
    name: METRIC.notifications,
    help: 'Notifications by channel kind and outcome (sent, failed after retries, dropped from a full queue)',
    labelNames: ['channel', 'outcome'] as const,
    registers,
  });
  const depthSource = options.jobQueueDepth;
  new Gauge({
    name: METRIC.jobQueueDepth,
    help: 'Job tickets by status (queued, running), read at scrape time',
    labelNames: ['status'] as const,
    registers,
    async collect() {
      if (!depthSource) return;
      try {
        const depth = await depthSource();
        for (const [status, count] of Object.entries(depth)) this.set({ status }, count);
      } catch (error) {
        options.logger.warn({ err: error }, 'could not read the job queue depth for metrics');
      }
    },
  });

  // Session leases, read at scrape time: the series are rebuilt each scrape, so a session given up or taken
  // over by another trader disappears from this process's output at once.
  const leaseSource = options.sessionLeases;
  const readLeases = (): LeaseStatus | null => {
    try {
      return leaseSource?.() ?? null;
    } catch (error) {
      options.logger.warn({ err: error }, 'could not read the session leases for metrics');
      return null;
    }
  };
  new Gauge({
    name: METRIC.sessionLeaseAge,
    help: 'Per session held by this trader: seconds since its lease was last claimed or renewed successfully',
    labelNames: ['session'] as const,
    registers,
    collect() {
      this.reset();
      for (const h of readLeases()?.held ?? []) this.set({ session: h.sessionId }, h.leaseAgeMs / 1000);
    },
  });
  new Gauge({
    name: METRIC.sessionOwner,
    help: '1 per live session whose lease this trader holds, labelled with the session and the owner id (host:pid:random)',
    labelNames: ['session', 'owner'] as const,
    registers,
    collect() {
      this.reset();
      const leases = readLeases();
      for (const h of leases?.held ?? []) this.set({ session: h.sessionId, owner: leases!.owner }, 1);
    },
  });

  const sink: MetricsSink = {
    onFill: (symbol, side) => fills.inc({ symbol, side }),
    onDenied: (code) => denials.inc({ reason: code }),
    onOrderState: (state) => orders.inc({ state }),
    onEquity(value, drawdownPct) {
      if (Number.isFinite(value)) equity.set(value);
      if (Number.isFinite(drawdownPct)) drawdown.set(drawdownPct);
    },
    onOpenPositions: (count) => openPositions.set(count),
    onBreaker: (name, tripped) => breaker.set({ breaker: name }, tripped ? 1 : 0),
    onJob: (kind, status, durationMs) => jobDuration.observe({ kind, status }, Math.max(0, durationMs) / 1000),
    onNotification: (channel, outcome) => notifications.inc({ channel, outcome }),
  };

  return {
    registry,
    sink,
    observeHttp({ route, method, status, durationMs }) {
      try {
        httpDuration.observe({ route, method: method.toUpperCase(), status: String(status) }, Math.max(0, durationMs) / 1000);
      } catch (error) {
        options.logger.warn({ err: error }, 'could not record an HTTP observation');
      }
    },
    metricsText: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

/**
 * Metrics and logs: the prom-client adapter behind the engine's MetricsSink, the event fan-out to
 * metrics and notifications, job instrumentation, request ids and secret redaction.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createAppLogger } from '../../app/_server/telemetry/app-logger';
import { createPrometheusTelemetry } from '../../app/_server/telemetry/prometheus-telemetry';
import { requestIdOf, withRequestTelemetry } from '../../app/_server/telemetry/request-logger';
import { createManualClock, silentLogger } from '../../engine/core/clock';
import type { Logger } from '../../engine/core/logger';
import type { TradeRecord } from '../../engine/ports/journal';
import type { Order } from '../../engine/ports/exchange';
import type { NotificationEvent } from '../../engine/ports/notifier';
import { JobKind } from '../../engine/jobs/definitions';
import { RetryableJobError, type JobContext } from '../../engine/orchestrator/job-queue';
import { createEngineEvents } from '../../engine/telemetry/engine-events';
import { instrumentJobHandlers } from '../../engine/telemetry/instrument-job-handlers';
import { DenialCode, type MetricsSink } from '../../engine/ports/metrics';
import { denialCodeOf } from '../../engine/telemetry/metrics-sink';
import { createInMemoryJournalRepository } from '../../engine/testing/in-memory-repositories';

/** The sample lines of one metric family (no HELP/TYPE), in registry order. */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { stream, lines };
}

const T = Date.UTC(2024, 0, 1, 12);

describe('prom-client adapter', () => {
  it('exposes fills, denials, orders, equity, drawdown, positions and breakers as the sink reports them', async () => {
    const telemetry = createPrometheusTelemetry({ logger: silentLogger, defaultMetrics: false });
    const sink = telemetry.sink;
    sink.onFill('BTC/USDT', 'buy');
    sink.onFill('BTC/USDT', 'buy');
    sink.onFill('ETH/USDT', 'sell');
    sink.onDenied(DenialCode.Halted);
    sink.onDenied(DenialCode.OpenPositions);
    sink.onDenied(DenialCode.Halted);
    sink.onOrderState('filled');
    sink.onOrderState('rejected');
    sink.onEquity(10_250.5, 3.25);
    sink.onOpenPositions(2);
    sink.onBreaker('max_drawdown', true);
    const text = await telemetry.metricsText();
    expect(samples(text, 'aethelred_fills_total')).toEqual([
      'aethelred_fills_total{symbol="BTC/USDT",side="buy"} 2',
      'aethelred_fills_total{symbol="ETH/USDT",side="sell"} 1',
    ]);
    expect(samples(text, 'aethelred_denials_total')).toEqual([
      'aethelred_denials_total{reason="halted"} 2',
      'aethelred_denials_total{reason="risk_limit:open_positions"} 1',
    ]);
    expect(samples(text, 'aethelred_orders_total')).toEqual(['aethelred_orders_total{state="filled"} 1', 'aethelred_orders_total{state="rejected"} 1']);
    expect(samples(text, 'aethelred_equity')).toEqual(['aethelred_equity 10250.5']);
    expect(samples(text, 'aethelred_drawdown_percent')).toEqual(['aethelred_drawdown_percent 3.25']);
    expect(samples(text, 'aethelred_open_positions')).toEqual(['aethelred_open_positions 2']);
    expect(samples(text, 'aethelred_breaker_tripped')).toEqual([
      'aethelred_breaker_tripped{breaker="daily_loss"} 0',
      'aethelred_breaker_tripped{breaker="max_drawdown"} 1',
      'aethelred_breaker_tripped{breaker="manual"} 0',
    ]);
    expect(text).toContain('# TYPE aethelred_fills_total counter');
    expect(telemetry.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('records job and HTTP durations in seconds histograms', async () => {
    const telemetry = createPrometheusTelemetry({ logger: silentLogger, defaultMetrics: false });
    telemetry.sink.onJob('backtest', 'succeeded', 1_500);
    telemetry.sink.onJob('backtest', 'succeeded', 250);
    telemetry.observeHttp({ route: '/api/metrics', method: 'get', status: 200, durationMs: 30 });
    const text = await telemetry.metricsText();
    const job = samples(text, 'aethelred_job_duration_seconds_bucket').filter((l) => l.includes('kind="backtest"'));
    // 0.25 s falls in le=0.5 and up; 1.5 s in le=5 and up.
    expect(job.slice(0, 5)).toEqual([
      'aethelred_job_duration_seconds_bucket{le="0.1",kind="backtest",status="succeeded"} 0',
      'aethelred_job_duration_seconds_bucket{le="0.5",kind="backtest",status="succeeded"} 1',
      'aethelred_job_duration_seconds_bucket{le="1",kind="backtest",status="succeeded"} 1',
      'aethelred_job_duration_seconds_bucket{le="5",kind="backtest",status="succeeded"} 2',
      'aethelred_job_duration_seconds_bucket{le="15",kind="backtest",status="succeeded"} 2',
    ]);
    expect(samples(text, 'aethelred_job_duration_seconds_sum')).toEqual(['aethelred_job_duration_seconds_sum{kind="backtest",status="succeeded"} 1.75']);
    expect(samples(text, 'aethelred_job_duration_seconds_count')).toEqual(['aethelred_job_duration_seconds_count{kind="backtest",status="succeeded"} 2']);
    expect(samples(text, 'aethelred_http_request_duration_seconds_sum')).toEqual([
      'aethelred_http_request_duration_seconds_sum{route="/api/metrics",method="GET",status="200"} 0.03',
    ]);
  });

  it('reads the job queue depth at scrape time and keeps the last value when the read fails', async () => {
    let depth: Record<string, number> | Error = { queued: 3, running: 1 };
    const telemetry = createPrometheusTelemetry({
      logger: silentLogger,
      defaultMetrics: false,
      jobQueueDepth: async () => {
        if (depth instanceof Error) throw depth;
        return depth;
      },
    });
    expect(samples(await telemetry.metricsText(), 'aethelred_job_queue_depth')).toEqual([
      'aethelred_job_queue_depth{status="queued"} 3',
      'aethelred_job_queue_depth{status="running"} 1',
    ]);
    depth = new Error('database down');
    expect(samples(await telemetry.metricsText(), 'aethelred_job_queue_depth')).toEqual([
      'aethelred_job_queue_depth{status="queued"} 3',
      'aethelred_job_queue_depth{status="running"} 1',
    ]);
  });

  it('keeps one registry per instance, with Node.js process metrics, and no shared global state', async () => {
    const a = createPrometheusTelemetry({ logger: silentLogger });
    const b = createPrometheusTelemetry({ logger: silentLogger });
    a.sink.onFill('BTC/USDT', 'buy');
    const textA = await a.metricsText();
    const textB = await b.metricsText();
    expect(samples(textA, 'aethelred_fills_total')).toEqual(['aethelred_fills_total{symbol="BTC/USDT",side="buy"} 1']);
    expect(samples(textB, 'aethelred_fills_total')).toEqual([]);
    expect(textB).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(textB).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
  });
});

describe('denial codes', () => {
  it('names the first failed risk check, else the reason kind', () => {
    const checks = [
      { name: 'leverage_requested', value: 1, limit: 2, passed: true },
      { name: 'symbol_exposure_pct', value: 80, limit: 50, passed: false },
      { name: 'open_positions', value: 3, limit: 2, passed: false },
    ] as const;
    expect(denialCodeOf('limit exceeded', [...checks])).toBe('risk_limit:symbol_exposure_pct');
    expect(denialCodeOf('halted: max_drawdown: equity 90 is 10% below peak 100 (limit 10%)')).toBe('halted');
    expect(denialCodeOf('equity -5 is not positive')).toBe('non_positive_equity');
    expect(denialCodeOf('no usable stop: stopHint NaN and atr NaN')).toBe('no_usable_stop');
    expect(denialCodeOf('stop -1 is not a positive price')).toBe('invalid_stop');
    expect(denialCodeOf('something new')).toBe('other');
  });
});

function recordingSink() {
  const calls: string[] = [];
  const sink: MetricsSink = {
    onFill: (symbol, side) => void calls.push(`fill ${symbol} ${side}`),
    onDenied: (code) => void calls.push(`denied ${code}`),
    onOrderState: (state) => void calls.push(`order ${state}`),
    onEquity: (equity, drawdownPct) => void calls.push(`equity ${equity} ${drawdownPct}`),
    onOpenPositions: (count) => void calls.push(`positions ${count}`),
    onBreaker: (name, tripped) => void calls.push(`breaker ${name} ${tripped}`),
    onJob: (kind, status, durationMs) => void calls.push(`job ${kind} ${status} ${durationMs}`),
    onNotification: (channel, outcome) => void calls.push(`notification ${channel} ${outcome}`),
  };
  return { sink, calls };
}

const order = (over: Partial<Order>): Order => ({
  id: 'o-1',
  clientOrderId: 'live-entry-1',
  symbol: 'BTC/USDT',
  side: 'buy',
  type: 'market',
  status: 'filled',
  amount: 0.5,
  filled: 0.5,
  price: null,
  stopPrice: null,
  averagePrice: 42_000,
  fee: 10.5,
  reduceOnly: false,
  createdAtMs: T,
  updatedAtMs: T,
  reason: null,
  ...over,
});

describe('engine events fan-out', () => {
  it('turns fills, denials, trips, halts and failed jobs into metrics and notifications', () => {
    const { sink, calls } = recordingSink();
    const sent: NotificationEvent[] = [];
    const events = createEngineEvents({ metrics: sink, notifier: { notify: (e) => void sent.push(e) }, logger: silentLogger });
    events.onOrder(order({}), 'entry', T);
    events.onOrder(order({ id: 'o-2', type: 'stop', status: 'new', filled: 0, averagePrice: NaN }), 'stop', T);
    events.onDenied('BTC/USDT', DenialCode.OpenPositions, 'open positions 2 >= 2', T);
    events.onDenied('BTC/USDT', DenialCode.Halted, 'halted: manual: x', T);
    events.onBreaker('daily_loss', true, 'daily_loss: equity 95 is 5% below day start 100 (limit 5%)', T);
    events.onBreaker('daily_loss', false, 'resumed', T + 1);
    events.onHalt('manual: maintenance', T);
    events.onVenueClose({ symbol: 'BTC/USDT', side: 'long', amount: 0.5, exitPrice: 41_000, exitTimeMs: T + 5, exitReason: 'stop' });
    events.onJobEnd({ ticketId: 't-1', kind: 'backtest', attempt: 2, status: 'failed', durationMs: 40, error: 'boom', final: false, timeMs: T });
    events.onJobEnd({ ticketId: 't-2', kind: 'rollover', attempt: 1, status: 'succeeded', durationMs: 7, timeMs: T });
    expect(calls).toEqual([
      'order filled',
      'fill BTC/USDT buy',
      'order new',
      'denied risk_limit:open_positions',
      'denied halted',
      'breaker daily_loss true',
      'breaker daily_loss false',
      'breaker manual true',
      'order filled',
      'fill BTC/USDT sell',
      'job backtest failed 40',
      'job rollover succeeded 7',
    ]);
    expect(sent).toEqual([
      { kind: 'fill', timeMs: T, symbol: 'BTC/USDT', side: 'buy', amount: 0.5, price: 42_000, orderId: 'o-1', purpose: 'entry' },
      { kind: 'denial', timeMs: T, symbol: 'BTC/USDT', code: 'risk_limit:open_positions', reason: 'open positions 2 >= 2' },
      { kind: 'breaker_trip', timeMs: T, breaker: 'daily_loss', reason: 'daily_loss: equity 95 is 5% below day start 100 (limit 5%)' },
      { kind: 'halt', timeMs: T, reason: 'manual: maintenance' },
      { kind: 'fill', timeMs: T + 5, symbol: 'BTC/USDT', side: 'sell', amount: 0.5, price: 41_000, orderId: 'stop', purpose: 'stop' },
      { kind: 'job_failure', timeMs: T, ticketId: 't-1', jobKind: 'backtest', attempt: 2, error: 'boom', final: false },
    ]);
  });

  it('logs and swallows a failing sink instead of throwing into the caller', () => {
    const errors: object[] = [];
    const logger: Logger = { ...silentLogger, error: (obj) => void errors.push(obj) };
    const events = createEngineEvents({
      metrics: { ...recordingSink().sink, onDenied: () => { throw new Error('sink bug'); } },
      logger,
    });
    expect(() => events.onDenied('BTC/USDT', DenialCode.Other, 'x', T)).not.toThrow();
    expect(errors).toHaveLength(1);
  });
});

describe('job instrumentation', () => {
  function context(over: Partial<JobContext>, logger: Logger = silentLogger): JobContext {
    return { ticketId: 't-9', attempt: 1, signal: new AbortController().signal, logger, reportProgress: async () => undefined, ...over };
  }

  it('reports duration from the clock, a retryable failure as not final, and binds the ticket id to logs', async () => {
    const clock = createManualClock(T);
    const { sink, calls } = recordingSink();
    const sent: NotificationEvent[] = [];
    const events = createEngineEvents({ metrics: sink, notifier: { notify: (e) => void sent.push(e) }, logger: silentLogger });
    const logged: object[] = [];
    const logger: Logger = { ...silentLogger, info: (obj) => void logged.push(obj) };
    const handlers = instrumentJobHandlers(
      {
        [JobKind.Backtest]: async (_params, ctx) => {
          clock.advance(1_250);
          ctx.logger.info({ step: 'simulate' }, 'running');
          return { ok: true };
        },
        [JobKind.Rollover]: async () => {
          clock.advance(30);
          throw new RetryableJobError('database busy');
        },
      },
      { events, clock },
    );
    await expect(handlers.backtest!({}, context({}, logger))).resolves.toEqual({ ok: true });
    await expect(handlers.rollover!({ retentionDays: 1 }, context({ ticketId: 't-10', attempt: 2 }))).rejects.toThrow('database busy');
    expect(calls).toEqual(['job backtest succeeded 1250', 'job rollover failed 30']);
    expect(logged).toEqual([{ ticketId: 't-9', jobKind: 'backtest', step: 'simulate' }]);
    expect(sent).toEqual([{ kind: 'job_failure', timeMs: T + 1_280, ticketId: 't-10', jobKind: 'rollover', attempt: 2, error: 'database busy', final: false }]);
  });

  it("announces the daily summary of the snapshotted account's trades after a daily snapshot", async () => {
    const clock = createManualClock(T + 86_400_000);
    const journal = createInMemoryJournalRepository();
    const trade = (id: string, runId: string | null, realizedPnl: number, fees: number, accountId = 'default'): TradeRecord => ({
      id, runId, ...(runId === null ? { accountId } : {}), exchange: 'paper', symbol: 'BTC/USDT', strategy: 's', side: 'long', amount: 1, entryPrice: 100, exitPrice: 110,
      entryTimeMs: T - 3_600_000, exitTimeMs: T, realizedPnl, fees, funding: 0, exitReason: 'signal',
    });
    await journal.appendTrades([trade('a', null, 10, 1), trade('b', null, -4, 1), trade('c', 'run-1', 1_000, 0), trade('d', null, 300, 0, 'swing-desk')]);
    const sent: NotificationEvent[] = [];
    const notifier = { notify: (e: NotificationEvent) => void sent.push(e) };
    const dayStartMs = Date.UTC(2024, 0, 1);
    const handlers = instrumentJobHandlers(
      { [JobKind.DailySnapshot]: async () => ({ snapshotId: 's-1', accountId: 'default', equity: 10_005, dayStartMs }) },
      { events: createEngineEvents({ logger: silentLogger }), clock, notifier, journal },
    );
    await handlers['daily-snapshot']!({}, context({}));
    // The account's session trades only (not the backtest's, not another account's): net 10-1 = 9 and -4-1 = -5,
    // so 2 trades, 1 win, 1 loss, net 4.
    expect(sent).toEqual([{ kind: 'daily_summary', timeMs: T + 86_400_000, dayStartMs, equity: 10_005, trades: 2, wins: 1, losses: 1, netPnl: 4 }]);
  });
});

describe('request logs', () => {
  it('honours a well-formed x-request-id and replaces a malformed one', () => {
    expect(requestIdOf(new Request('http://x/a', { headers: { 'x-request-id': 'abc-123' } }), () => 'new')).toBe('abc-123');
    expect(requestIdOf(new Request('http://x/a', { headers: { 'x-request-id': 'bad id\n' } }), () => 'new')).toBe('new');
    expect(requestIdOf(new Request('http://x/a'), () => 'new')).toBe('new');
  });

  it('binds the request id to every line, echoes it, records latency and redacts secrets', async () => {
    const { stream, lines } = captureLogs();
    const logger = createAppLogger('info', stream);
    const telemetry = createPrometheusTelemetry({ logger: silentLogger, defaultMetrics: false });
    let tick = 100;
    const response = await withRequestTelemetry(
      new Request('http://localhost/api/things?x=1', { method: 'POST', headers: { 'x-request-id': 'req-42' } }),
      '/api/things',
      { logger, observeHttp: telemetry.observeHttp, nowMs: () => (tick += 12.5) },
      async (ctx) => {
        ctx.logger.info({ apiKey: 'k-123', user: { password: 'hunter2' }, headers: { authorization: 'Bearer aeth_x', cookie: 's=1' } }, 'working');
        return Response.json({ ok: true }, { status: 201 });
      },
    );
    expect(response.headers.get('x-request-id')).toBe('req-42');
    expect(lines.map((l) => [l.requestId, l.method, l.path, l.msg])).toEqual([
      ['req-42', 'POST', '/api/things', 'working'],
      ['req-42', 'POST', '/api/things', 'request completed'],
    ]);
    expect(lines[0]).toMatchObject({ apiKey: '[redacted]', user: { password: '[redacted]' }, headers: { authorization: '[redacted]', cookie: '[redacted]' } });
    expect(lines[1]).toMatchObject({ route: '/api/things', status: 201, durationMs: 12.5 });
    expect(samples(await telemetry.metricsText(), 'aethelred_http_request_duration_seconds_count')).toEqual([
      'aethelred_http_request_duration_seconds_count{route="/api/things",method="POST",status="201"} 1',
    ]);
  });
});

describe('Grafana dashboard', () => {
  it('uses a Prometheus datasource variable and queries only metrics the registry exposes', async () => {
    const file = path.resolve(import.meta.dirname, '../../grafana/aethelred-dashboard.json');
    const dashboard = JSON.parse(readFileSync(file, 'utf8')) as {
      templating: { list: { name: string; type: string; query: unknown }[] };
      panels: { type: string; datasource?: { uid: string }; targets?: { expr: string }[] }[];
    };
    expect(dashboard.templating.list.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    const queried = dashboard.panels.filter((p) => p.type !== 'row');
    expect(queried.every((p) => p.datasource?.uid === '${datasource}')).toBe(true);
    const telemetry = createPrometheusTelemetry({ logger: silentLogger });
    const exposed = new Set([...(await telemetry.metricsText()).matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    const used = new Set(
      queried.flatMap((p) => (p.targets ?? []).flatMap((t) => [...t.expr.matchAll(/\b(?:aethelred|process|nodejs)_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, '')))),
    );
    expect(used.size).toBeGreaterThan(12);
    expect([...used].filter((name) => !exposed.has(name))).toEqual([]);
  });
});

/**
 * The `download-candles` job through the real queue and in-process runner, on embedded PGlite and
 * PostgreSQL: a venue that cannot be reached (this machine has no internet; the candle source port is
 * injected, no network is needed) or does not list the market ends the ticket failed at the first
 * attempt with a readable reason, nothing left running and nothing stored; a failure after some pages
 * keeps only whole pages and the next ticket resumes after them; bad requests are refused at enqueue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCandleRepository } from '../../db/repositories/candle-repository';
import { createTicketRepository } from '../../db/repositories/ticket-repository';
import { createManualClock, silentLogger } from '../../engine/core/clock';
import { ExchangeError, FailureClass, ValidationError } from '../../engine/core/errors';
import type { Candle, Timeframe } from '../../engine/core/types';
import { createPublicCcxtExchange } from '../../engine/execution/ccxt-exchange';
import { bindJobHandlers, JOB_DEFINITIONS } from '../../engine/jobs/definitions';
import type { JobServices } from '../../engine/jobs/job-definition';
import { createInProcessJobRunner } from '../../engine/orchestrator/in-process-runner';
import { createJobQueue, type Ticket } from '../../engine/orchestrator/job-queue';
import type { CandleRepository } from '../../engine/ports/candles';
import type { ClosableCandleSource, CandleSourceFactory } from '../../engine/ports/candle-source';
import { TEST_DATABASE_BACKENDS } from '../support/ml-databases';

const H1 = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const NOW = T0 + 3_000 * H1;

/** A source whose every call fails like ccxt does when the venue's host does not resolve. */
function offlineSource(closed: string[]): ClosableCandleSource {
  return {
    rateLimitMs: 0,
    fetchOhlcv: async () => {
      throw new ExchangeError(FailureClass.Retryable, 'cannot reach binance (binance GET https://api.binance.com/api/v3/exchangeInfo getaddrinfo ENOTFOUND api.binance.com)');
    },
    close: async () => void closed.push('offline'),
  };
}

/** A source serving hourly candles from T0 in pages, failing from page `failFromPage` (1-based) on. */
function hourlySource(closed: string[], failFromPage = Infinity): ClosableCandleSource {
  let pages = 0;
  return {
    rateLimitMs: 0,
    async fetchOhlcv(_symbol: string, _timeframe: Timeframe, sinceMs = T0, limit = 1000) {
      pages++;
      if (pages >= failFromPage) throw new ExchangeError(FailureClass.Retryable, 'cannot reach binance (read ECONNRESET)');
      const out: Candle[] = [];
      for (let t = Math.max(sinceMs, T0); t < NOW && out.length < limit; t += H1) out.push({ openTimeMs: t, open: 10, high: 11, low: 9, close: 10, volume: 1 });
      return out;
    },
    close: async () => void closed.push('hourly'),
  };
}

describe.each(TEST_DATABASE_BACKENDS)('download-candles job on $name', (backend) => {
  let dispose: () => Promise<void>;
  let candles: CandleRepository;
  let run: (params: Record<string, unknown>, source: CandleSourceFactory) => Promise<Ticket>;
  let enqueueOnly: (params: Record<string, unknown>) => Promise<string>;
  let runningLeft: () => string[];

  beforeAll(async () => {
    const opened = await backend.open();
    dispose = opened.dispose;
    const db = opened.database.db;
    candles = createCandleRepository(db);
    const tickets = createTicketRepository(db);
    const clock = createManualClock(NOW);
    let openSource: CandleSourceFactory = () => {
      throw new Error('no source set');
    };
    const services = {
      clock,
      marketData: { candles, openCandleSource: (exchangeId: string) => openSource(exchangeId) },
    } as unknown as JobServices;
    const handlers = bindJobHandlers(services);
    const runner = createInProcessJobRunner(
      { concurrency: 1, pollIntervalMs: 60_000, backoff: { baseMs: 1, capMs: 1, jitterRatio: 0 }, leaseMs: 120_000 },
      { tickets, handlers, clock, logger: silentLogger, random: () => 0.5 },
    );
    let n = 0;
    const queue = createJobQueue(
      { defaultMaxAttempts: 3 },
      { tickets, clock, newId: () => `dl-${++n}`, dispatcher: { runner: 'in-process', dispatch: () => undefined }, definitions: JOB_DEFINITIONS, handlers, logger: silentLogger },
    );
    await runner.start();
    enqueueOnly = (params) => queue.enqueue({ kind: 'download-candles', params });
    run = async (params, source) => {
      openSource = source;
      const id = await queue.enqueue({ kind: 'download-candles', params });
      await runner.pollNow();
      await runner.whenIdle();
      return (await queue.get(id))!;
    };
    runningLeft = () => runner.runningTicketIds();
    const stop = dispose;
    dispose = async () => {
      await runner.stop();
      await stop();
    };
  }, 60_000);
  afterAll(async () => {
    await dispose?.();
  });

  const params = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', since: '2024-01-01' };

  it('fails at the first attempt with a readable reason when the venue cannot be reached, leaving nothing running or stored', async () => {
    const closed: string[] = [];
    const ticket = await run(params, () => offlineSource(closed));
    expect(ticket.status).toBe('failed');
    expect(ticket.attempts).toBe(1);
    expect(ticket.error).toBe(
      'downloading binance BTC/USDT 1h failed: cannot reach binance (binance GET https://api.binance.com/api/v3/exchangeInfo getaddrinfo ENOTFOUND api.binance.com): ' +
        'check the network, or upload a CSV file on the Markets page',
    );
    expect(runningLeft()).toEqual([]);
    expect(closed).toEqual(['offline']);
    expect(await candles.summarize()).toEqual([]);
  });

  it('fails with the venue\'s reason for a market it does not list', async () => {
    const closed: string[] = [];
    const ticket = await run({ ...params, symbol: 'NOPE/USDT' }, () => ({
      fetchOhlcv: async () => {
        throw new ExchangeError(FailureClass.NonRetryable, 'instrument "NOPE/USDT" is not listed on binance spot');
      },
      close: async () => void closed.push('unlisted'),
    }));
    expect(ticket).toMatchObject({ status: 'failed', attempts: 1, error: 'downloading binance NOPE/USDT 1h failed: instrument "NOPE/USDT" is not listed on binance spot' });
    expect(closed).toEqual(['unlisted']);
    expect(await candles.summarize()).toEqual([]);
  });

  it('fails cleanly through the real ccxt adapter when the venue refuses connections', async () => {
    const dead = { public: 'http://127.0.0.1:1/api/v3', private: 'http://127.0.0.1:1/api/v3' };
    const ticket = await run(params, () => createPublicCcxtExchange('binance', { clock: { nowMs: () => Date.now() }, logger: silentLogger }, { urls: dead }));
    expect(ticket.status).toBe('failed');
    expect(ticket.attempts).toBe(1);
    expect(ticket.error).toMatch(/^downloading binance BTC\/USDT 1h failed: cannot reach binance \(.*ECONNREFUSED.*\): check the network, or upload a CSV file on the Markets page$/);
    expect(runningLeft()).toEqual([]);
    expect(await candles.summarize()).toEqual([]);
  }, 30_000);

  it('keeps the whole pages stored before a failure, and the next ticket resumes after them', async () => {
    const closed: string[] = [];
    const failed = await run(params, () => hourlySource(closed, 2));
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    expect(failed.error).toContain('cannot reach binance (read ECONNRESET)');
    const key = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' as const };
    expect(await candles.summarize()).toEqual([{ ...key, count: 1_000, firstOpenTimeMs: T0, lastOpenTimeMs: T0 + 999 * H1 }]);
    const done = await run(params, () => hourlySource(closed));
    expect(done.status).toBe('succeeded');
    expect(done.progress).toBe(1);
    expect(done.result).toEqual({ ...key, fromMs: T0 + 1_000 * H1, untilMs: NOW, pages: 2, fetched: 2_000, inserted: 2_000, lastOpenTimeMs: NOW - H1 });
    expect(closed).toEqual(['hourly', 'hourly']);
    const [coverage] = await candles.summarizeCoverage(1);
    expect(coverage).toMatchObject({ count: 3_000, expectedCount: 3_000, missingCount: 0, gapCount: 0 });
  });

  it('refuses an unknown exchange, a bad symbol and an empty range at enqueue, naming the field', async () => {
    const refusal = async (p: Record<string, unknown>) => {
      try {
        await enqueueOnly(p);
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        return (error as ValidationError).message;
      }
      throw new Error('expected a refusal');
    };
    expect(await refusal({ ...params, exchange: 'kraken' })).toContain('field "params.exchange" was "kraken"');
    expect(await refusal({ ...params, symbol: 'btcusdt' })).toContain('field "params.symbol" was "btcusdt": expected a market symbol like BTC/USDT');
    expect(await refusal({ ...params, until: '2023-12-31' })).toContain('field "params.until" was "2023-12-31"');
  });
});

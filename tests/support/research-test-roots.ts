/**
 * Test roots with candles already imported, for the research suites (backtests and studies through
 * the server actions and through /api/v1): a real root (tests/support/auth-test-root.ts), a signed-in
 * trader, and one candle file imported through `POST /api/v1/candles` as that trader.
 */
import { afterEach, expect } from 'vitest';
import { GATE, type ActionResult } from '../../app/_server/auth/gate';
import { backtestTicket, startBacktest, type BacktestProgress } from '../../app/backtests/actions';
import { waveCsv } from '../../engine/testing/wave-candles';
import { apiV1Client, type ApiV1Client } from './api-v1-client';
import { createAuthTestRoot, TEST_ORIGIN, type AuthTestRoot } from './auth-test-root';
import { syntheticCandles } from './ml-candles';

/** 2024-01-01T00:00Z: where both candle files start. */
export const RESEARCH_START_MS = Date.UTC(2024, 0, 1);

/** 1 440 five-minute candles (5 days) of binance BTC/USDT: a sine wave of radius 6 candles around 100, so the averages cross often. */
export const WAVE_CANDLES = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', count: 1_440 } as const;

/** 1 500 hourly synthetic candles (seed 7) of testex SYN/USDT. */
export const SYNTHETIC_CANDLES = { exchange: 'testex', symbol: 'SYN/USDT', timeframe: '1h', count: 1_500 } as const;

/**
 * For a file of server-action tests: `open()` builds a root on embedded PGlite, imports the
 * {@link WAVE_CANDLES} as a trader and returns the headers of that trader's requests (cookie and
 * origin, as the actions' gate checks them). The root opened in a test is closed after it.
 */
export function useWaveCandleRoot(): { open(): Promise<{ app: AuthTestRoot; headers: Headers }> } {
  let opened: AuthTestRoot | null = null;
  afterEach(async () => {
    await opened?.close();
    opened = null;
  });
  return {
    async open() {
      const app = await createAuthTestRoot();
      opened = app;
      const trader = await app.signedInAs('trader');
      const api = apiV1Client(app.root, { cookie: trader.cookie });
      const { exchange, symbol, timeframe, count } = WAVE_CANDLES;
      const body = waveCsv({ count, phase: 0, base: 100, startMs: RESEARCH_START_MS, timeframeMs: 300_000 });
      expect((await api.call('importCandles', { query: { exchange, symbol, timeframe }, body })).status).toBe(200);
      return { app, headers: new Headers({ cookie: trader.cookie, origin: TEST_ORIGIN }) };
    },
  };
}

/** The {@link SYNTHETIC_CANDLES} as an import CSV (`timestamp_ms,open,high,low,close,volume`). */
export function syntheticCandleCsv(): string {
  const c = syntheticCandles(SYNTHETIC_CANDLES.count, 7, RESEARCH_START_MS, 3_600_000);
  const lines = ['timestamp_ms,open,high,low,close,volume'];
  for (let i = 0; i < c.length; i++) lines.push(`${c.openTimeMs[i]},${c.open[i]},${c.high[i]},${c.low[i]},${c.close[i]},${c.volume[i]}`);
  return lines.join('\n');
}

/** Signs in a trader and a viewer on `app` and imports the {@link SYNTHETIC_CANDLES} as the trader (every row stored, no warning). */
export async function withSyntheticCandles(app: AuthTestRoot): Promise<{ trader: ApiV1Client; viewer: ApiV1Client }> {
  const trader = apiV1Client(app.root, { cookie: (await app.signedInAs('trader')).cookie });
  const viewer = apiV1Client(app.root, { cookie: (await app.signedInAs('viewer')).cookie });
  const { exchange, symbol, timeframe, count } = SYNTHETIC_CANDLES;
  const imported = await trader.call('importCandles', { query: { exchange, symbol, timeframe }, body: syntheticCandleCsv() });
  expect(imported.body).toMatchObject({ parsed: count, inserted: count, warningCount: 0 });
  return { trader, viewer };
}

/**
 * Posts the backtest form (`startBacktest` as the holder of `headers`) and polls its ticket every 100 ms;
 * resolves to the run id once it succeeded.
 * @throws when the form is refused (with the error), the run fails or is cancelled, or it takes over 60 s.
 */
export async function runBacktestFromForm(root: AuthTestRoot['root'], headers: Headers, input: Record<string, unknown>): Promise<string> {
  const queued = (await startBacktest[GATE].run(root, headers, input)) as ActionResult<{ ticketId: string }>;
  if (!queued.ok) throw new Error(`refused: ${JSON.stringify(queued.error)}`);
  for (let i = 0; i < 600; i++) {
    const progress = (await backtestTicket[GATE].run(root, headers, { ticketId: queued.data.ticketId })) as ActionResult<BacktestProgress>;
    if (progress.ok && progress.data.status === 'succeeded' && progress.data.runId) return progress.data.runId;
    if (progress.ok && (progress.data.status === 'failed' || progress.data.status === 'cancelled')) throw new Error(`backtest ${progress.data.status}: ${progress.data.error}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the backtest did not finish in 60 s');
}

import { describe, expect, it } from 'vitest';
import type { BacktestResult } from '../../engine/backtest/run-backtest';
import { runBacktestCommand, timingsLine } from './backtest';

describe('backtest --timings', () => {
  it('splits the run into start-up, load, simulate and finish that add up to the total', () => {
    // 1200 + (1500 - 1200) + (1900 - 1500) + (1950 - 1900) = 1950; 300 MiB = 314,572,800 bytes.
    expect(timingsLine({ startMs: 1200, firstProgressMs: 1500, lastProgressMs: 1900, doneMs: 1950 }, 314_572_800)).toBe(
      'backtest timings: start-up 1200 ms, load 300 ms, simulate 400 ms, finish 50 ms, total 1950 ms; peak memory 300 MB (max RSS)',
    );
  });

  it('divides the start-up into loading the code and building the engine, and adds the CPU time, when the CLI measured them', () => {
    // Start-up 1200 = code 900 + database and engine 300; 100 MiB = 104,857,600 bytes; CPU 1234.4 ms rounds to 1234.
    expect(timingsLine({ startMs: 1200, firstProgressMs: 1500, lastProgressMs: 1900, doneMs: 1950 }, 104_857_600, { modulesMs: 900, engineMs: 300 }, 1234.4)).toBe(
      'backtest timings: start-up 1200 ms (code 900 ms, database and engine 300 ms), load 300 ms, simulate 400 ms, finish 50 ms, total 1950 ms; peak memory 100 MB (max RSS); CPU 1234 ms',
    );
  });

  it('prints the line on stderr from the progress reports of the run, and nothing without the flag', async () => {
    const run = async (flags: string[]) => {
      const ticks = [100, 250, 900, 1000];
      const err: string[] = [];
      const code = await runBacktestCommand(['--exchange', 'binance', '--symbol', 'BTC/USDT', '--timeframe', '5m', '--from', '2024-01-01', '--to', '2024-02-01', '--json', ...flags], {
        runBacktest: async (_request, onProgress) => {
          onProgress?.(0, 10);
          onProgress?.(9, 10);
          return { runId: 'r', candles: 10, finalEquity: 1, returnMetrics: {}, tradeMetrics: {}, stats: {} } as unknown as BacktestResult;
        },
        stdout: () => undefined,
        stderr: (s) => err.push(s),
        process: { nowMs: () => ticks.shift() ?? NaN, maxRssBytes: () => 104_857_600 },
      });
      return { code, timings: err.filter((s) => s.startsWith('backtest timings')) };
    };
    // Clock reads: start 100, first report 250, last report 900, done 1000.
    expect(await run(['--timings'])).toEqual({
      code: 0,
      timings: ['backtest timings: start-up 100 ms, load 150 ms, simulate 650 ms, finish 100 ms, total 1000 ms; peak memory 100 MB (max RSS)\n'],
    });
    expect(await run([])).toEqual({ code: 0, timings: [] });
  });
});

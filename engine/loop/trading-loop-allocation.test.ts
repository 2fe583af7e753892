/**
 * Allocation per candle of the steady-state pipeline (features, adapters + fusion over typed columns, risk,
 * paper exchange), measured with V8's sampling heap profiler (see engine/testing/allocation-sampler.ts:
 * garbage included, exactly 0 when nothing is allocated). Bodies run untimed first so the measured pass runs
 * JIT-compiled code: interpreted code boxes every double it touches, which says nothing about the steady state.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { resolveBacktest, simulate, type BacktestResult, type ResolvedBacktest, type SimulationDeps } from '../backtest/run-backtest';
import { silentLogger } from '../core/clock';
import { candleColumnsFromRows, type CandleColumns } from '../core/types';
import { createFusedSignal, createSignalFusion } from '../decision/signal-fusion';
import { createAdapterOutput, Direction } from '../strategies/strategy-adapter';
import { ACCOUNT_EVENT_FRAMES } from './trading-loop';
import { sampleAllocatedBytes, sampleRunWindow, type AllocationFrame } from '../testing/allocation-sampler';
import { createInMemoryJournalRepository } from '../testing/in-memory-repositories';
import { waveBacktestRequest, waveCandles } from '../testing/wave-candles';

const SIDES = [Direction.Short, Direction.Flat, Direction.Long] as const;

/**
 * Ten warm runs of `spec`, then up to eight windows over candles 50 %..95 % of a run, with three more warm runs before each
 * retry, until one counts 0 bytes: on a loaded machine (a full test run on two cores) V8's compiler thread may still be
 * compiling the run's loop when a window opens (unoptimised code boxes numbers); one window in steady state tells.
 * Returns every window and the last run's stats.
 */
async function steadyStateWindows(
  spec: ResolvedBacktest,
  columns: CandleColumns,
  deps: SimulationDeps,
  frames: { countFrame: (frame: AllocationFrame) => boolean; skipFrame?: (frame: AllocationFrame) => boolean },
): Promise<{ windows: { bytes: number; skippedBytes: number; steps: number }[]; stats: BacktestResult['stats'] }> {
  for (let r = 0; r < 10; r++) await simulate(spec, columns, null, deps);
  let stats: BacktestResult['stats'] = {};
  const windows: { bytes: number; skippedBytes: number; steps: number }[] = [];
  for (let attempt = 0; attempt < 8; attempt++) {
    if (attempt > 0) for (let r = 0; r < 3; r++) await simulate(spec, columns, null, deps);
    windows.push(
      await sampleRunWindow(
        async (onProgress) => {
          stats = (await simulate(spec, columns, null, deps, { onProgress })).stats;
        },
        { from: 0.5, to: 0.95, ...frames },
      ),
    );
    if (windows[attempt].bytes === 0) break;
  }
  return { windows, stats };
}

describe('allocation per candle', () => {
  it('fuses 200,000 candles of adapter outputs without allocating a byte', async () => {
    const names = ['a', 'b', 'c', 'd'];
    const fusion = createSignalFusion({ weights: { a: 1, b: 1, c: 2, d: 0.5 }, entryThreshold: 0.25, ttlMs: 300_000 });
    const outputs = names.map(() => createAdapterOutput());
    const fused = createFusedSignal();
    // Outputs change every call (long, short, flat, with and without stops) so every branch of fuse runs.
    const fuseAll = () => {
      let longs = 0;
      for (let i = 0; i < 200_000; i++) {
        for (let k = 0; k < 4; k++) {
          const o = outputs[k];
          o.side = SIDES[(i + k) % 3];
          o.strength = ((i * 7 + k) % 10) / 10 + 0.05;
          o.stopHint = (i + k) % 4 === 0 ? Number.NaN : 100 - o.side * (((i + k) % 5) + 1);
        }
        fusion.fuse(outputs, names, fused);
        if (fused.side === 1) longs++;
      }
      return longs;
    };
    const warm = fuseAll();
    fuseAll();
    fuseAll();
    let measured = -1;
    const bytes = await sampleAllocatedBytes(
      () => {
        measured = fuseAll();
      },
      { countFrame: (frame) => frame.functionName === 'fuse' || frame.functionName === 'weightsFor' },
    );
    expect(measured).toBe(warm);
    expect(measured).toBeGreaterThan(0);
    expect(bytes).toBe(0);
  });

  it('allocates nothing in the per-candle step of a run without signals, once the run is compiled', async () => {
    // 20,000 wave candles; entryThreshold 1 needs all four adapters to agree at full strength, which
    // never happens here (asserted), so every candle takes the quiet path: the paper exchange settles the
    // candle, the risk engine records equity, the loop reads the chunk's precomputed fused signal (the
    // column-wise phase, features + adapters + fusion over typed columns, runs inside the same step).
    const columns = candleColumnsFromRows(waveCandles({ count: 20_000 }));
    const spec = resolveBacktest(waveBacktestRequest(columns, { fusion: { entryThreshold: 1 }, decisionDetail: 'off' }));
    const deps = { journal: createInMemoryJournalRepository(), logger: silentLogger, newId: randomUUID };
    // Each run builds new closures that V8 compiles anew while the run starts: warm runs first, then a window
    // over the second half of a run (candles 10,000..19,000), where the run's own loop is compiled.
    const { windows, stats } = await steadyStateWindows(spec, columns, deps, { countFrame: (frame) => frame.functionName === 'processCandle' });
    const signals = stats.signals;
    const candles = stats.candles;
    expect(signals).toBe(0);
    expect(candles).toBe(20_000);
    // Progress is reported every 200 steps: each window opens at step 10,000 and closes at step 19,000.
    for (const window of windows) expect(window.steps).toBe(9_000);
    // Nine chunks of 1,000 candles started inside the window, so the column-wise phase is counted too.
    expect(Math.min(...windows.map((w) => w.bytes))).toBe(0);
  });

  it('allocates nothing in the per-candle step of a run with signals, apart from the candles that place orders, fill or trip a breaker', async () => {
    // entryThreshold 0.25 on the same wave: 1,058 signals over the run, 28 entries early on; then the drawdown
    // breaker halts the run, so over the window every signal is refused by the synchronous checks (a short on
    // spot, the halt). Those refusals, journal off and no events, must allocate nothing: no promise, no risk
    // context, no reason string. Stacks through ACCOUNT_EVENT_FRAMES (order placement and fills, breaker trips)
    // are counted apart.
    const columns = candleColumnsFromRows(waveCandles({ count: 20_000 }));
    const request = waveBacktestRequest(columns, { fusion: { entryThreshold: 0.25 } });
    // The same run journaling its signals tells which decisions fall inside the window (candles 10,000..18,999).
    const journal = createInMemoryJournalRepository();
    const journaled = await simulate(resolveBacktest({ ...request, decisionDetail: 'signals' }), columns, null, { journal, logger: silentLogger, newId: randomUUID });
    const windowFrom = columns.openTimeMs[10_000] + 300_000;
    const windowTo = columns.openTimeMs[18_999] + 300_000;
    const inWindow = journal.decisions.filter((d) => d.timeMs >= windowFrom && d.timeMs <= windowTo);
    const outcomes = new Set(inWindow.map((d) => `${d.outcome}: ${d.reason.split(':')[0]}`));
    expect(inWindow.length).toBeGreaterThan(100);
    expect([...outcomes].sort()).toEqual(['denied: halted', 'no_trade: short signal ignored']);

    const spec = resolveBacktest({ ...request, decisionDetail: 'off' });
    const deps = { journal: createInMemoryJournalRepository(), logger: silentLogger, newId: randomUUID };
    const skip = new Set(ACCOUNT_EVENT_FRAMES);
    const { windows, stats } = await steadyStateWindows(spec, columns, deps, {
      countFrame: (frame) => frame.functionName === 'processCandle',
      skipFrame: (frame) => skip.has(frame.functionName),
    });
    // Journal off decides exactly as journal on.
    expect({ ...stats, decisions: 0 }).toEqual({ ...journaled.stats, decisions: 0 });
    expect(stats.signals).toBeGreaterThan(stats.entries + stats.exits);
    for (const window of windows) expect(window.steps).toBe(9_000);
    expect(Math.min(...windows.map((w) => w.bytes))).toBe(0);
  });

  it('allocates nothing in the per-candle step of a run that trades through its second half, the order and fill candles included', async () => {
    // The same wave and threshold with both breakers out of reach (limits of 100 %): the run keeps entering longs
    // (shorts are refused on spot) and its protective stops keep filling inside the window. On a simulated venue the
    // order path is synchronous (no promise: every order, fill and trade record happens inside the per-candle step),
    // so everything it allocates is counted, ACCOUNT_EVENT_FRAMES included: the entries (risk gate, market order, the
    // resting stop), the stop fills and the trades they close (client ids built only when read, trades kept in typed
    // columns until the run ends, which start with room for one trade per 32 candles: more than this run closes).
    const columns = candleColumnsFromRows(waveCandles({ count: 20_000 }));
    const request = waveBacktestRequest(columns, { fusion: { entryThreshold: 0.25 }, risk: { maxDrawdownPct: 100, dailyLossLimitPct: 100 } });
    // The journaled run tells what happens inside the window (candles 10,000..18,999): entries, refused shorts, stop fills.
    const journal = createInMemoryJournalRepository();
    const journaled = await simulate(resolveBacktest({ ...request, decisionDetail: 'signals' }), columns, null, { journal, logger: silentLogger, newId: randomUUID });
    const windowFrom = columns.openTimeMs[10_000] + 300_000;
    const windowTo = columns.openTimeMs[18_999] + 300_000;
    const inWindow = journal.decisions.filter((d) => d.timeMs >= windowFrom && d.timeMs <= windowTo);
    const entries = inWindow.filter((d) => d.outcome === 'executed').length;
    const stopped = journaled.trades.filter((t) => t.exitTimeMs >= windowFrom && t.exitTimeMs <= windowTo);
    expect(entries).toBeGreaterThan(100);
    expect(new Set(inWindow.map((d) => `${d.outcome}: ${d.reason.split(' ')[0]}`))).toEqual(new Set(['executed: entered', 'no_trade: short']));
    expect(stopped.length).toBeGreaterThan(100);
    expect(new Set(stopped.map((t) => t.exitReason))).toEqual(new Set(['stop']));
    expect(journaled.halts).toEqual([]);

    expect(journaled.trades.length).toBeLessThan(20_000 / 32);
    const spec = resolveBacktest({ ...request, decisionDetail: 'off' });
    const deps = { journal: createInMemoryJournalRepository(), logger: silentLogger, newId: randomUUID };
    const { windows, stats } = await steadyStateWindows(spec, columns, deps, { countFrame: (frame) => frame.functionName === 'processCandle' });
    expect({ ...stats, decisions: 0 }).toEqual({ ...journaled.stats, decisions: 0 });
    for (const window of windows) expect(window.steps).toBe(9_000);
    // Nothing is set aside: every stack through the step counts, the order and fill frames too.
    for (const window of windows) expect(window.skippedBytes).toBe(0);
    expect(Math.min(...windows.map((w) => w.bytes))).toBe(0);
  });
});

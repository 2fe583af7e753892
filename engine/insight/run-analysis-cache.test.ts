import { describe, expect, it } from 'vitest';
import { createRunAnalysisCache } from './run-analysis-cache';
import type { RunAnalysis } from './run-analysis';

/** An analysis told apart by its one benchmark point's equity. */
const analysis = (equity: number): RunAnalysis => ({ underwater: [], benchmark: [{ timeMs: 0, equity }], rolling: [], window: 30, benchmarkFeeBps: 10 });

describe('run analysis cache', () => {
  it('computes a run analysis once per run and window, sharing a computation in flight', async () => {
    const cache = createRunAnalysisCache(8);
    let computed = 0;
    const compute = async () => analysis(++computed);
    const [a, b] = await Promise.all([cache.get('r1', 30, compute), cache.get('r1', 30, compute)]);
    expect(a).toBe(b);
    expect(await cache.get('r1', 30, compute)).toBe(a);
    expect(computed).toBe(1);
    // Another window is another analysis.
    expect((await cache.get('r1', 10, compute))!.benchmark[0].equity).toBe(2);
    expect(cache.size()).toBe(2);
  });

  it('remembers neither a null result (run not complete) nor a failure', async () => {
    const cache = createRunAnalysisCache(8);
    expect(await cache.get('running', 30, async () => null)).toBeNull();
    await expect(cache.get('broken', 30, async () => Promise.reject(new Error('database down')))).rejects.toThrow('database down');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(cache.size()).toBe(0);
    expect((await cache.get('running', 30, async () => analysis(7)))!.benchmark[0].equity).toBe(7);
  });

  it('forgets a deleted run, and drops the least recently used run beyond its size', async () => {
    const cache = createRunAnalysisCache(2);
    await cache.get('a', 30, async () => analysis(1));
    await cache.get('b', 30, async () => analysis(2));
    await cache.get('a', 30, async () => analysis(99)); // a hit: "a" is now the most recently used
    await cache.get('c', 30, async () => analysis(3)); // drops "b"
    expect((await cache.get('a', 30, async () => analysis(99)))!.benchmark[0].equity).toBe(1);
    expect((await cache.get('b', 30, async () => analysis(4)))!.benchmark[0].equity).toBe(4);
    cache.forget('b');
    expect((await cache.get('b', 30, async () => analysis(5)))!.benchmark[0].equity).toBe(5);
    expect(() => createRunAnalysisCache(0)).toThrow('maxEntries must be a positive integer, got 0');
  });
});

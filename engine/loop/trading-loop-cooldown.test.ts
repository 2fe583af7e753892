/**
 * The cooldown gate in the loop: after an entry, a signal within `cooldownMs` is refused (`cooldown`), one at or
 * after it may enter; with no cooldown (the default, where the loop skips the gate) nothing is refused for it.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { resolveBacktest, simulate } from '../backtest/run-backtest';
import { silentLogger } from '../core/clock';
import { candleColumnsFromRows } from '../core/types';
import { createInMemoryJournalRepository } from '../testing/in-memory-repositories';
import { waveBacktestRequest, waveCandles } from '../testing/wave-candles';

const HOUR_MS = 3_600_000;

async function run(cooldownMs: number | undefined) {
  const columns = candleColumnsFromRows(waveCandles({ count: 6_000 }));
  const spec = resolveBacktest(waveBacktestRequest(columns, { fusion: cooldownMs === undefined ? { entryThreshold: 0.25 } : { entryThreshold: 0.25, cooldownMs }, decisionDetail: 'signals' }));
  const journal = createInMemoryJournalRepository();
  const result = await simulate(spec, columns, null, { journal, logger: silentLogger, newId: randomUUID });
  return { stats: result.stats, decisions: [...journal.decisions].sort((a, b) => a.timeMs - b.timeMs) };
}

describe('entry cooldown in the trading loop', () => {
  it('refuses every entry signal within cooldownMs of the last entry, and only those', async () => {
    const cooldownMs = 12 * HOUR_MS;
    const { stats, decisions } = await run(cooldownMs);
    expect(stats.cooldown).toBeGreaterThan(0);
    expect(stats.entries).toBeGreaterThan(1);
    let lastEntry = Number.NaN;
    let refused = 0;
    for (const d of decisions) {
      if (d.outcome === 'executed' && d.reason.startsWith('entered')) {
        // No entry inside the previous one's cooldown.
        if (lastEntry === lastEntry) expect(d.timeMs - lastEntry).toBeGreaterThanOrEqual(cooldownMs);
        lastEntry = d.timeMs;
      } else if (d.outcome === 'cooldown') {
        refused++;
        expect(d.timeMs - lastEntry).toBeLessThan(cooldownMs);
        expect(d.reason).toBe(`symbol in cooldown for ${cooldownMs} ms after the last entry`);
      }
    }
    expect(refused).toBe(stats.cooldown);
    expect(decisions.length).toBe(stats.signals);
  });

  it('refuses nothing for the cooldown when there is none', async () => {
    const { stats, decisions } = await run(undefined);
    expect(stats.entries).toBeGreaterThan(1);
    expect(stats.cooldown).toBe(0);
    expect(decisions.filter((d) => d.outcome === 'cooldown')).toEqual([]);
  });
});

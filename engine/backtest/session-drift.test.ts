import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/clock';
import { ValidationError } from '../core/errors';
import type { TradeRecord } from '../ports/journal';
import type { LiveSessionRecord } from '../ports/live-sessions';
import type { RunSpec } from '../trading/run-spec';
import { createInMemoryCandleRepository, createInMemoryJournalRepository, toColumns } from '../testing/in-memory-repositories';
import { sessionFirstCandleMs } from '../live/session-window';
import { sessionDrift } from './session-drift';

const TF = 300_000;
const T0 = Date.UTC(2024, 0, 1);
const rows = Array.from({ length: 1_200 }, (_, i) => {
  const close = 100 * (1 + 0.05 * Math.sin(i / 15));
  const open = 100 * (1 + 0.05 * Math.sin((i - 1) / 15));
  return { openTimeMs: T0 + i * TF, open, high: Math.max(open, close) * 1.001, low: Math.min(open, close) * 0.999, close, volume: 1_000 };
});
const session: LiveSessionRecord<RunSpec> = {
  id: 'live:test:SYN/USDT:5m',
  exchange: 'test',
  symbol: 'SYN/USDT',
  timeframe: '5m',
  config: { strategies: ['ma-crossover'], params: { 'ma-crossover': { fastPeriod: 5, slowPeriod: 20 } } },
  status: 'stopped',
  lastCandleMs: T0 + 1_199 * TF,
  liveTrading: false,
  lastError: null,
  startedAtMs: T0 + 600 * TF,
  updatedAtMs: T0 + 1_200 * TF,
};

describe('session drift', () => {
  it('replays the session period and reports live trades against the replay', async () => {
    const candles = createInMemoryCandleRepository();
    await candles.insertCandles({ exchange: 'test', symbol: 'SYN/USDT', timeframe: '5m' }, toColumns(rows));
    const journal = createInMemoryJournalRepository();
    const deps = { candles, journal, logger: silentLogger, newId: () => 'id' };
    const empty = await sessionDrift(session, sessionFirstCandleMs(session), deps);
    expect(empty.onlySimulated.length).toBeGreaterThan(2);
    expect(empty.onlySimulated.every((t) => t.entryTimeMs >= T0 + 600 * TF)).toBe(true);
    // Journal the replay's own trades as if live had matched it exactly, one filled 0.1 worse on entry.
    const live: TradeRecord[] = empty.onlySimulated.map((t, k) => ({
      id: `t${k}`, runId: null, accountId: 'default', exchange: 'test', symbol: 'SYN/USDT', strategy: 'ma-crossover', exitReason: 'signal', ...t,
      entryPrice: k === 0 ? t.entryPrice + 0.1 : t.entryPrice,
      realizedPnl: k === 0 ? t.realizedPnl - 0.1 * t.amount : t.realizedPnl,
    }));
    await journal.appendTrades(live);
    // Another account's session traded the same market at the same times: not this session's trades.
    await journal.appendTrades(live.map((t) => ({ ...t, id: `desk-${t.id}`, accountId: 'desk', entryPrice: t.entryPrice + 5 })));
    const report = await sessionDrift(session, sessionFirstCandleMs(session), deps);
    expect(report.onlyLive).toEqual([]);
    expect(report.onlySimulated).toEqual([]);
    expect(report.rows).toHaveLength(live.length);
    expect(report.totals.entryFill).toBeCloseTo(-0.1 * live[0].amount, 9);
    expect(report.totals.pnl).toBeCloseTo(-0.1 * live[0].amount, 9);
  });

  it('compares a replay session from the first candle it replayed, not from the wall-clock time it started', async () => {
    const candles = createInMemoryCandleRepository();
    await candles.insertCandles({ exchange: 'test', symbol: 'SYN/USDT', timeframe: '5m' }, toColumns(rows));
    const deps = { candles, journal: createInMemoryJournalRepository(), logger: silentLogger, newId: () => 'id' };
    // Started today, replaying from row 600 (a time inside a candle: the replay starts at the next candle's open).
    const replay: LiveSessionRecord<RunSpec> = {
      ...session,
      id: 'replay:default:test:SYN/USDT:5m',
      config: { ...session.config, mode: 'replay', from: T0 + 599 * TF + 1, accountId: 'default' },
      startedAtMs: Date.UTC(2026, 11, 6, 21, 59),
    };
    expect(sessionFirstCandleMs(replay)).toBe(T0 + 600 * TF);
    const report = await sessionDrift(replay, sessionFirstCandleMs(replay), deps);
    expect(report.fromMs).toBe(T0 + 600 * TF);
    expect(report.toMs).toBe(T0 + 1_200 * TF);
    // The same period as the paper session above, so the same replayed trades.
    const paper = await sessionDrift(session, sessionFirstCandleMs(session), deps);
    expect(report.onlySimulated).toEqual(paper.onlySimulated);
    expect(report.onlySimulated.length).toBeGreaterThan(2);
  });

  it('reads the first candle of a session: a replay from its request (an ISO date too), else from its start', () => {
    expect(sessionFirstCandleMs({ timeframe: '5m', config: { mode: 'replay', from: '2024-01-01' }, startedAtMs: Date.UTC(2026, 0, 1) })).toBe(T0);
    expect(sessionFirstCandleMs({ timeframe: '1h', config: { mode: 'replay', from: '2024-01-01T00:30:00Z' }, startedAtMs: null })).toBe(T0 + 3_600_000);
    // Paper and live sessions trade from the candle their start fell in; a session not started yet has none.
    expect(sessionFirstCandleMs({ timeframe: '5m', config: {}, startedAtMs: T0 + 7 * TF + 1_000 })).toBe(T0 + 7 * TF);
    expect(sessionFirstCandleMs({ timeframe: '5m', config: { mode: 'paper' }, startedAtMs: null })).toBe(null);
  });

  it('asks for candles when the stored ones do not cover the session', async () => {
    const deps = { candles: createInMemoryCandleRepository(), journal: createInMemoryJournalRepository(), logger: silentLogger, newId: () => 'id' };
    const error = await sessionDrift(session, sessionFirstCandleMs(session), deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain('download them first with download-candles');
  });
});

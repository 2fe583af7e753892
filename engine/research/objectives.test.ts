import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors';
import { DEFAULT_MIN_TRADES, objectiveOf, OBJECTIVES, parseObjective, type Objective, type ObjectiveMetrics } from './objectives';

const metrics: ObjectiveMetrics = { trades: 10, sharpe: 1.5, sortino: 2.25, calmar: 0.8, profitFactor: 1.75, averageTrade: 12.5 };

describe('objectiveOf', () => {
  it('reads each objective from the run metrics; net profit is trades x average trade', () => {
    const scores = Object.fromEntries(OBJECTIVES.map((o) => [o, objectiveOf(metrics, o, { minTrades: 10 })]));
    // netProfit = 10 trades * 12.5 = 125
    expect(scores).toEqual({ sharpe: 1.5, sortino: 2.25, calmar: 0.8, profitFactor: 1.75, netProfit: 125 });
  });

  it('scores -Infinity below the minimum trade count, whatever the metric', () => {
    expect(objectiveOf(metrics, 'sharpe', { minTrades: 11 })).toBe(-Infinity);
    expect(objectiveOf(metrics, 'netProfit', { minTrades: 11 })).toBe(-Infinity);
    expect(DEFAULT_MIN_TRADES).toBe(1);
    expect(objectiveOf({ ...metrics, trades: 0, averageTrade: NaN }, 'netProfit')).toBe(-Infinity);
    // With minTrades 0 a run without trades made nothing.
    expect(objectiveOf({ ...metrics, trades: 0, averageTrade: NaN }, 'netProfit', { minTrades: 0 })).toBe(0);
  });

  it('scores an undefined metric (NaN, or null as stored) -Infinity and keeps +Infinity', () => {
    expect(objectiveOf({ ...metrics, sharpe: NaN }, 'sharpe')).toBe(-Infinity);
    expect(objectiveOf({ ...metrics, calmar: null }, 'calmar')).toBe(-Infinity);
    expect(objectiveOf({ ...metrics, profitFactor: Infinity }, 'profitFactor')).toBe(Infinity);
  });

  it('refuses an unknown objective and a bad minimum trade count', () => {
    expect(() => objectiveOf(metrics, 'cagr' as Objective)).toThrow('field "objective" was "cagr": expected one of sharpe, sortino, calmar, profitFactor, netProfit');
    expect(() => objectiveOf(metrics, 'sharpe', { minTrades: -1 })).toThrow(ValidationError);
    expect(() => objectiveOf(metrics, 'sharpe', { minTrades: 2.5 })).toThrow('field "minTrades" was 2.5');
    expect(parseObjective('sortino')).toBe('sortino');
  });
});

import { describe, expect, it } from 'vitest';
import { formatDurationMs, parseDurationMs } from './duration';

const ms = (text: string) => {
  const r = parseDurationMs(text);
  return r.ok ? r.ms : r.reason;
};

describe('durations in human units', () => {
  it('reads combined units, with or without spaces, in any case', () => {
    expect(ms('1h 30m')).toBe(5_400_000);
    expect(ms('1h30m')).toBe(5_400_000);
    expect(ms('90m')).toBe(5_400_000);
    expect(ms('45s')).toBe(45_000);
    expect(ms('250ms')).toBe(250);
    expect(ms('1d 2h')).toBe(93_600_000);
    expect(ms('1.5h')).toBe(5_400_000);
    expect(ms(' 2 Minutes ')).toBe(120_000);
    expect(ms('1m 30s')).toBe(90_000);
    expect(ms('0')).toBe(0);
  });

  it('refuses text that is not a duration, saying why', () => {
    expect(ms('')).toBe('empty; write it with units, e.g. "1h 30m", "90m", "45s" or "250ms"');
    expect(ms('90')).toBe('a number needs a unit; write it with units, e.g. "1h 30m", "90m", "45s" or "250ms"');
    expect(ms('5 fortnights')).toBe('unknown unit "fortnights"; write it with units, e.g. "1h 30m", "90m", "45s" or "250ms"');
    expect(ms('1h 1h')).toBe('unit "h" given twice; write it with units, e.g. "1h 30m", "90m", "45s" or "250ms"');
    expect(ms('-5m')).toBe('cannot read "-5m"; write it with units, e.g. "1h 30m", "90m", "45s" or "250ms"');
    expect(ms('1h x')).toBe('cannot read "x"; write it with units, e.g. "1h 30m", "90m", "45s" or "250ms"');
    expect(ms('0.5ms')).toBe('finer than a millisecond');
  });

  it('writes milliseconds in the largest whole units, and reads them back', () => {
    expect(formatDurationMs(5_400_000)).toBe('1h 30m');
    expect(formatDurationMs(45_000)).toBe('45s');
    expect(formatDurationMs(0)).toBe('0s');
    expect(formatDurationMs(1_500)).toBe('1s 500ms');
    expect(formatDurationMs(93_600_000)).toBe('1d 2h');
    expect(formatDurationMs(-1)).toBe('');
    for (const value of [0, 1, 999, 60_000, 5_400_000, 86_400_001, 123_456_789]) expect(ms(formatDurationMs(value))).toBe(value);
  });
});

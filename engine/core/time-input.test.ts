import { describe, expect, it } from 'vitest';
import { parseTimeInput, TIME_INPUT_HINT, timeInputMs, timeInputSchema } from './time-input';

describe('time input', () => {
  it('reads dates and zone-less times as UTC, zoned times as written, and long digit strings as epoch ms', () => {
    expect(timeInputMs('2024-01-01')).toBe(Date.UTC(2024, 0, 1));
    expect(timeInputMs('2024-01-01T12:00')).toBe(Date.UTC(2024, 0, 1, 12));
    expect(timeInputMs('2024-01-01 12:00:30.5')).toBe(Date.UTC(2024, 0, 1, 12, 0, 30, 500));
    expect(timeInputMs('2024-01-01T12:00:00Z')).toBe(Date.UTC(2024, 0, 1, 12));
    expect(timeInputMs('2024-01-01T12:00+02:00')).toBe(Date.UTC(2024, 0, 1, 10));
    expect(timeInputMs('2024-01-01T01:00-0530')).toBe(Date.UTC(2024, 0, 1, 6, 30));
    expect(timeInputMs('1704067200000')).toBe(1_704_067_200_000);
    expect(timeInputMs(1_704_067_200_000)).toBe(1_704_067_200_000);
    expect(timeInputMs(0)).toBe(0);
  });

  it('refuses a bare year, epoch seconds, an impossible day and anything else, naming the field', () => {
    for (const bad of ['2024', '1704067200', '2024-02-30', '2024-13-01', '01/02/2024', 'yesterday', '', '2024-01-01T25:00']) expect(timeInputMs(bad), bad).toBeNaN();
    expect(timeInputMs(Number.NaN)).toBeNaN();
    // A date rolled over near a zone boundary is still the day written.
    expect(timeInputMs('2024-02-29T23:30-02:00')).toBe(Date.UTC(2024, 2, 1, 1, 30));
    expect(() => parseTimeInput('from', '2024')).toThrow(`field "from" was "2024": ${TIME_INPUT_HINT}`);
    expect(timeInputSchema.safeParse('2024').success).toBe(false);
    expect(timeInputSchema.safeParse('2024-06-01').success).toBe(true);
  });
});

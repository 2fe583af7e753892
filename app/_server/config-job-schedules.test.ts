import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';

describe('AETHELRED_JOB_SCHEDULES', () => {
  it('defaults to no overrides', () => {
    expect(loadConfig({}, '/srv').jobSchedules).toEqual({});
  });

  it('reads kind -> cron or "off"', () => {
    expect(loadConfig({ AETHELRED_JOB_SCHEDULES: '{"rollover":"30 1 * * *","daily-snapshot":"off"}' }, '/srv').jobSchedules).toEqual({ rollover: '30 1 * * *', 'daily-snapshot': 'off' });
  });

  it.each([
    ['{"rollover":"0 25 * * *"}', 'field "AETHELRED_JOB_SCHEDULES.rollover" was "0 25 * * *": not a 5-field cron expression (CronPattern: Invalid value for hour: 25)'],
    ['{"backtest":"0 0 * * *"}', 'field "AETHELRED_JOB_SCHEDULES.backtest" was "0 0 * * *": "backtest" has no default schedule'],
    ['{"rollover":5}', 'expected a JSON object of job kind -> 5-field UTC cron expression or "off"'],
    ['rollover=off', 'expected a JSON object like {"rollover":"30 1 * * *","daily-snapshot":"off"}'],
  ])('stops start-up for %s naming the variable', (value, message) => {
    expect(() => loadConfig({ AETHELRED_JOB_SCHEDULES: value }, '/srv')).toThrow(ConfigError);
    expect(() => loadConfig({ AETHELRED_JOB_SCHEDULES: value }, '/srv')).toThrow(message);
  });
});

import { describe, expect, it } from 'vitest';
import { studyFormSchema, studyRequestOfForm } from './study-form-schema';

const FORM = {
  exchange: 'binance',
  symbol: 'ETH/USDT',
  timeframe: '5m',
  from: '2024-02-01',
  to: '2024-02-12',
  strategy: 'ma-crossover',
  space: { fastPeriod: { min: 5, max: 15, step: 5 } },
  method: 'grid',
  trials: 50,
  objective: 'sharpe',
  minTrades: 1,
  paper: { initialBalance: 10_000, makerFeeBps: undefined },
  risk: { riskPerTradePct: 1 },
};

describe('study form schema', () => {
  it('refuses a symbol outside the one market-symbol rule (upper-case BASE/QUOTE); trims BTC/USDT', () => {
    for (const bad of ['btc/usdt', 'BTCUSDT']) {
      const parsed = studyFormSchema.safeParse({ ...FORM, symbol: bad });
      expect(parsed.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['symbol', 'expected a market symbol like BTC/USDT (upper-case BASE/QUOTE)']]);
    }
    expect(studyFormSchema.parse({ ...FORM, symbol: ' BTC/USDT ' }).symbol).toBe('BTC/USDT');
  });

  it('turns the form into the engine request: UTC epoch ms, no trials for a grid, breakers off at 100 %', () => {
    const parsed = studyFormSchema.parse(FORM);
    expect(studyRequestOfForm(parsed)).toEqual({
      exchange: 'binance',
      symbol: 'ETH/USDT',
      timeframe: '5m',
      // Date.UTC(2024, 1, 1) and Date.UTC(2024, 1, 12).
      from: 1_706_745_600_000,
      to: 1_707_696_000_000,
      strategy: 'ma-crossover',
      space: { fastPeriod: { min: 5, max: 15, step: 5 } },
      method: 'grid',
      objective: 'sharpe',
      minTrades: 1,
      paper: { initialBalance: 10_000 },
      risk: { riskPerTradePct: 1, dailyLossLimitPct: 100, maxDrawdownPct: 100 },
    });
  });

  it('keeps trials, seed and the walk-forward for a random search, and the typed breakers when on', () => {
    const parsed = studyFormSchema.parse({ ...FORM, method: 'random', seed: 7, walkForward: { mode: 'anchored', inSampleDays: 4, outOfSampleDays: 2 }, breakers: true, risk: { dailyLossLimitPct: 5 } });
    expect(studyRequestOfForm(parsed)).toMatchObject({ method: 'random', trials: 50, seed: 7, walkForward: { mode: 'anchored', inSampleDays: 4, outOfSampleDays: 2 }, risk: { dailyLossLimitPct: 5 } });
  });

  it('turns the exits fieldset into the exit policy every trial trades with, and sends none when it is blank', () => {
    const exits = { takeProfitR: 2, trailingAtr: 3, timeStopBars: 48, roi: '[{"afterMinutes": 60, "profitPercent": 1.5}]' };
    expect(studyRequestOfForm(studyFormSchema.parse({ ...FORM, exits })).exits).toEqual({
      takeProfit: [{ r: 2 }],
      trailingStop: { atrMultiple: 3 },
      timeStop: { bars: 48 },
      minimalRoi: [{ afterMinutes: 60, profitPercent: 1.5 }],
    });
    expect(studyRequestOfForm(studyFormSchema.parse({ ...FORM, exits: { roi: '' } }))).not.toHaveProperty('exits');
  });

  it('sends the ticked models in the loop with the request, and none when none is ticked', () => {
    const models = { volatility: { targetVolatility: 0.005, minScale: 0.5 }, stopDistance: {} };
    // The engine's defaults filled in: the deployed version, maxScale 1, a stop 1 × the predicted distance, at least 0.5 ATR.
    expect(studyRequestOfForm(studyFormSchema.parse({ ...FORM, models })).models).toEqual({
      volatility: { version: 'deployed', targetVolatility: 0.005, minScale: 0.5, maxScale: 1 },
      stopDistance: { version: 'deployed', multiple: 1, minAtr: 0.5 },
    });
    expect(studyRequestOfForm(studyFormSchema.parse(FORM))).not.toHaveProperty('models');
  });

  it('names the field of a bad input', () => {
    const errors = (input: unknown) => studyFormSchema.safeParse(input).error?.issues.map((i) => i.path.join('.'));
    expect(errors({ ...FORM, to: '2024-01-01' })).toEqual(['to']);
    expect(errors({ ...FORM, trials: 'ten' })).toEqual(['trials']);
    expect(errors({ ...FORM, walkForward: { mode: 'rolling', inSampleDays: 0, outOfSampleDays: 1 } })).toEqual(['walkForward.inSampleDays']);
    expect(errors({ ...FORM, minTrades: -1 })).toEqual(['minTrades']);
    expect(errors({ ...FORM, exits: { takeProfitR: 2, takeProfitPercent: 5 } })).toEqual(['exits.takeProfitPercent']);
    expect(errors({ ...FORM, exits: { roi: '[{"afterMinutes": 0}' } })).toEqual(['exits.roi']);
    expect(errors({ ...FORM, exits: { timeStopBars: 'ten' } })).toEqual(['exits.timeStopBars']);
    expect(errors({ ...FORM, models: { volatility: { targetVolatility: -1 } } })).toEqual(['models.volatility.targetVolatility']);
  });
});

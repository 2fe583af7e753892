import { describe, expect, it } from 'vitest';
import { backtestFormSchema, marketsOfForm } from './backtest-form-schema';

const FORM = { exchange: 'binance', timeframe: '1h', from: '2024-01-01', to: '2024-02-01', strategies: ['ma-crossover'] };

/** The form's field errors for `input`, by field name (what the form shows next to each field). */
function fieldErrors(input: unknown): Record<string, string[]> {
  const parsed = backtestFormSchema.safeParse(input);
  if (parsed.success) return {};
  const errors: Record<string, string[]> = {};
  for (const issue of parsed.error.issues) (errors[issue.path.join('.')] ??= []).push(issue.message);
  return errors;
}

describe('backtest form markets', () => {
  it('takes one symbol, several symbols or all stored markets, and hands the engine symbol or symbols', () => {
    const one = backtestFormSchema.parse({ ...FORM, symbol: ' BTC/USDT ' });
    expect(marketsOfForm(one)).toEqual({ symbol: 'BTC/USDT' });
    const several = backtestFormSchema.parse({ ...FORM, symbols: ['BTC/USDT', 'ETH/USDT'] });
    expect(marketsOfForm(several)).toEqual({ symbols: ['BTC/USDT', 'ETH/USDT'] });
    expect(marketsOfForm(backtestFormSchema.parse({ ...FORM, symbols: 'all' }))).toEqual({ symbols: 'all' });
  });

  it('asks for a symbol when neither one nor several markets are given, and for at least two of several', () => {
    expect(fieldErrors({ ...FORM, symbol: '' })).toEqual({ symbol: ['choose a symbol'] });
    expect(fieldErrors({ ...FORM, symbols: ['BTC/USDT'] })).toEqual({ symbols: ['choose at least 2 markets'] });
    expect(fieldErrors({ ...FORM, symbols: Array.from({ length: 51 }, (_, i) => `C${i}/USDT`) })).toEqual({ symbols: ['choose at most 50 markets'] });
  });

  it('refuses a symbol outside the one market-symbol rule (upper-case BASE/QUOTE), alone or in a list', () => {
    const hint = 'expected a market symbol like BTC/USDT (upper-case BASE/QUOTE)';
    expect(fieldErrors({ ...FORM, symbol: 'btc/usdt' })).toEqual({ symbol: [hint] });
    expect(fieldErrors({ ...FORM, symbol: 'BTCUSDT' })).toEqual({ symbol: [hint] });
    expect(fieldErrors({ ...FORM, symbols: ['BTC/USDT', 'eth/usdt'] })).toEqual({ 'symbols.1': [hint] });
  });
});

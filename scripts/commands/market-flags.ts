/**
 * The flag parsing the candle commands (`import-candles`, `download-candles`) share: string flags, strict, no
 * positionals, some of them required, and the market flags checked the same way.
 */
import { MARKET_SYMBOL } from '../../engine/core/market-symbol';
import { parseArgs } from 'node:util';
import { TIMEFRAME_MS } from '../../engine/core/types';

/**
 * Parses `args` as `--flag value` pairs of `flags` (strings only); `required` must be given and non-empty.
 * @returns the values, or the usage error to print (an unknown flag, a missing one).
 */
export function parseStringFlags<K extends string, R extends K>(args: string[], flags: readonly K[], required: readonly R[]): { values: Record<R, string> & Partial<Record<K, string>> } | { error: string } {
  let values: Partial<Record<K, string>>;
  try {
    const options = Object.fromEntries(flags.map((f) => [f, { type: 'string' as const }]));
    values = parseArgs({ args, options, strict: true, allowPositionals: false }).values as Partial<Record<K, string>>;
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
  for (const flag of required) {
    if (values[flag] === undefined || values[flag] === '') return { error: `missing --${flag}` };
  }
  return { values: values as Record<R, string> & Partial<Record<K, string>> };
}

/**
 * The usage error of a bad `--timeframe` or `--symbol` (upper-case BASE/QUOTE, engine/core/market-symbol.ts: a settle
 * suffix such as `:USDT` is refused, since nothing trades candles stored under it), or null.
 */
export function marketFlagError(symbol: string, timeframe: string): string | null {
  if (!Object.prototype.hasOwnProperty.call(TIMEFRAME_MS, timeframe)) {
    return `--timeframe "${timeframe}" is not supported; expected one of ${Object.keys(TIMEFRAME_MS).join(', ')}`;
  }
  return MARKET_SYMBOL.test(symbol) ? null : `--symbol "${symbol}" is not a market symbol like BTC/USDT (upper-case BASE/QUOTE, no settle suffix)`;
}

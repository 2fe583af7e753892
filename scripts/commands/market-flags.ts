/**
 * The flag parsing the candle commands (`import-candles`, `download-candles`) share: string flags, strict, no
 * positionals, some of them required, and the market flags checked the same way.
 */
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
 * The usage error of a bad `--timeframe` or `--symbol` (BASE/QUOTE; with `settle`, also BASE/QUOTE:SETTLE), or null.
 */
export function marketFlagError(symbol: string, timeframe: string, options: { settle: boolean }): string | null {
  if (!Object.prototype.hasOwnProperty.call(TIMEFRAME_MS, timeframe)) {
    return `--timeframe "${timeframe}" is not supported; expected one of ${Object.keys(TIMEFRAME_MS).join(', ')}`;
  }
  const pattern = options.settle ? /^[A-Z0-9]+\/[A-Z0-9]+(:[A-Z0-9]+)?$/ : /^[A-Z0-9]+\/[A-Z0-9]+$/;
  return pattern.test(symbol) ? null : `--symbol "${symbol}" is not a market symbol like BTC/USDT`;
}

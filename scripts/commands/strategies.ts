/**
 * `strategies check`: the look-ahead and recursion check of one strategy over stored candles
 * (engine `checkStrategy`), printed as a readable report (JSON with --json).
 * Exit codes: 0 passed, 3 the check found look-ahead or recursion, 2 bad input (the message names
 * the field and value), 1 unexpected failure.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { fmtNumber, fmtPct, fmtPrice, fmtTime } from '@/app/_components/format';
import { describeSignal } from '@/app/strategies/check/_lib/describe-signal';
import { ValidationError } from '../../engine/core/errors';
import type { StrategyCheckReport } from '../../engine/insight/lookahead-check';
import type { StrategyCheckResult } from '../../engine/insight/strategy-check';

export const STRATEGIES_USAGE = `usage: npm run cli -- strategies check --strategy NAME [--params params.json] --exchange binance --symbol BTC/USDT --timeframe 1h
         [--from 2024-01-01] [--to 2024-03-01] [--tolerance 0.001] [--startup-candles N] [--json]
  Evaluates every candle with the whole range loaded and with the range cut after it (look-ahead), and
  recomputes each indicator the strategy reads from later history starts (recursion). Without --from/--to
  the whole stored range is checked. --params: a JSON object of the strategy's parameters.
  --startup-candles: compare from this much history instead of the strategy's own startup history.
  Exit code 0 when the strategy passes, 3 when the check found problems, 2 for bad input.`;

/** Exit code of a check that found look-ahead or recursion. */
export const CHECK_FAILED_EXIT_CODE = 3;

export interface StrategiesCommandServices {
  checkStrategy(request: unknown, onProgress?: (done: number, total: number) => void): Promise<StrategyCheckResult>;
  stdout(s: string): void;
  stderr(s: string): void;
}

const utc = (ms: number) => `${fmtTime(ms)} UTC`;

/** The report as text: header, each part's verdict, every finding with its candle time, the result line. */
export function formatCheckReport(r: StrategyCheckReport & Partial<Pick<StrategyCheckResult, 'market'>>): string {
  const lines: string[] = [];
  const market = r.market ? ` on ${r.market.exchange} ${r.market.symbol} ${r.market.timeframe}` : '';
  lines.push(`strategy check: ${r.strategy}${r.version ? ` ${r.version}` : ''}${market}, ${r.candles} candles ${utc(r.firstTimeMs)} .. ${utc(r.lastTimeMs)}, warm-up ${r.warmup}, startup history ${r.startupCandles ?? r.warmup}`);
  const la = r.lookAhead;
  lines.push(
    la.findingCount === 0
      ? `look-ahead: passed (${la.rowsChecked} candles evaluated with the whole range and with the range cut after each)`
      : `look-ahead: FAILED at ${la.findingCount} of ${la.rowsChecked} candles: the signal changes when later candles are removed`,
  );
  for (const f of la.findings) lines.push(`  ${utc(f.timeMs)}  whole range: ${describeSignal(f.full)}  |  cut after it: ${describeSignal(f.truncated)}`);
  if (la.findingCount > la.findings.length) lines.push(`  ... and ${la.findingCount - la.findings.length} more`);
  const rc = r.recursion;
  const tolerance = fmtPct(rc.tolerance * 100, 2);
  lines.push(
    rc.findings.length === 0
      ? `recursion: passed (${rc.indicators.join(', ') || 'no indicators'}; histories from rows ${rc.historyStartRows.join(', ')}; tolerance ${tolerance})`
      : `recursion: FAILED: ${new Set(rc.findings.map((f) => f.indicator)).size} indicator(s) still depend on earlier history after the startup history (tolerance ${tolerance})`,
  );
  for (const f of rc.findings) {
    // RSI is in points (0..100), its differences relative to the 100-point scale; other columns are prices.
    const rsi = f.kind === 'rsi';
    const size = (d: number | null, missing: string) => (d === null ? missing : rsi ? `${fmtNumber(d * 100, 2)} RSI points` : fmtPct(d * 100, 3));
    const value = (v: number | null) => (rsi ? fmtNumber(v, 2) : fmtPrice(v));
    lines.push(
      `  ${f.indicator} with history from ${utc(f.historyStartMs)}: first differs at ${utc(f.firstTimeMs)}: ${value(f.fullValue)} (full history) vs ${value(f.shortValue)} (${size(f.difference, 'missing on one side')}); largest ${size(f.maxDifference, 'a value missing')} at ${utc(f.maxDifferenceTimeMs)}; ${f.differingRows} of ${f.comparedRows} candles`,
    );
  }
  lines.push(r.passed ? 'result: passed' : `result: FAILED (${la.findingCount} look-ahead, ${rc.findings.length} recursion finding${rc.findings.length === 1 ? '' : 's'})`);
  return `${lines.join('\n')}\n`;
}

export async function runStrategiesCommand(args: string[], services: StrategiesCommandServices): Promise<number> {
  const usageError = (message: string) => {
    services.stderr(`strategies: ${message}\n${STRATEGIES_USAGE}`);
    return 2;
  };
  const [sub, ...rest] = args;
  if (sub !== 'check') return usageError(sub === undefined ? 'missing subcommand "check"' : `unknown subcommand "${sub}"; expected "check"`);
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        strategy: { type: 'string' },
        params: { type: 'string' },
        exchange: { type: 'string' },
        symbol: { type: 'string' },
        timeframe: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        tolerance: { type: 'string' },
        'startup-candles': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return usageError((error as Error).message);
  }
  for (const flag of ['strategy', 'exchange', 'symbol', 'timeframe'] as const) {
    if (!values[flag]) return usageError(`missing --${flag}`);
  }
  let params: unknown = {};
  if (values.params) {
    try {
      params = JSON.parse(await readFile(values.params, 'utf8'));
    } catch (error) {
      return usageError(`--params "${values.params}" could not be read as JSON: ${(error as Error).message}`);
    }
    if (params === null || typeof params !== 'object' || Array.isArray(params)) return usageError(`--params "${values.params}" must hold a JSON object`);
  }
  let tolerance: number | undefined;
  if (values.tolerance !== undefined) {
    tolerance = Number(values.tolerance);
    if (!(tolerance > 0 && tolerance < 1)) return usageError(`--tolerance "${values.tolerance}" must be a number above 0 and below 1 (0.001 = 0.1 %)`);
  }
  let startupCandles: number | undefined;
  const startupText = values['startup-candles'];
  if (startupText !== undefined) {
    startupCandles = Number(startupText);
    if (!(Number.isInteger(startupCandles) && startupCandles >= 0)) return usageError(`--startup-candles "${startupText}" must be a whole number of candles >= 0`);
  }
  const request = {
    strategy: values.strategy,
    params,
    exchange: values.exchange,
    symbol: values.symbol,
    timeframe: values.timeframe,
    ...(values.from ? { from: values.from } : {}),
    ...(values.to ? { to: values.to } : {}),
    ...(tolerance !== undefined ? { tolerance } : {}),
    ...(startupCandles !== undefined ? { startupCandles } : {}),
  };
  let result: StrategyCheckResult;
  try {
    result = await services.checkStrategy(request);
  } catch (error) {
    if (error instanceof ValidationError) {
      services.stderr(`strategies check: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  services.stdout(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatCheckReport(result));
  return result.passed ? 0 : CHECK_FAILED_EXIT_CODE;
}

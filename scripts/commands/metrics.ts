/**
 * `metrics` command: reads one simple periodic return per line (0.01 = +1 %) and prints return and
 * risk metrics from engine/insight/metrics as JSON or as a table.
 * Exit codes: 0 success, 2 bad input (the message names the file, line and value).
 */
import { readFile } from 'node:fs/promises';
import { computeReturnMetrics, type ReturnMetrics } from '../../engine/insight/metrics';

/** Arguments of {@link runMetricsCommand}; `riskFree` is an annual rate as a fraction (0.04 = 4 %). */
export interface MetricsCommandArgs {
  returnsFile: string;
  periodsPerYear: number;
  riskFree: number;
  json: boolean;
}

/** Output sinks; errors go to `stderr` when given, else to `stdout`. */
export interface MetricsCommandIo {
  stdout: (s: string) => void;
  stderr?: (s: string) => void;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

class InputError extends Error {}

/** Parses the returns file text; blank lines are ignored. Throws InputError quoting file, line and value. */
function parseReturns(file: string, text: string): Float64Array {
  const values: number[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '') continue;
    const where = `${file}:${i + 1}`;
    if (!DECIMAL.test(raw)) throw new InputError(`${where}: field "return" was "${raw}": not a number`);
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new InputError(`${where}: field "return" was "${raw}": not a finite number`);
    if (value < -1) {
      throw new InputError(`${where}: field "return" was "${raw}": below -1 (a simple return cannot lose more than 100%)`);
    }
    values.push(value);
  }
  if (values.length === 0) throw new InputError(`${file}: no returns found (expected one simple return per line)`);
  return Float64Array.from(values);
}

const percent = (value: number) => (Number.isFinite(value) ? `${(value * 100).toFixed(2)}%` : String(value));
const ratio = (value: number) => (Number.isFinite(value) ? value.toFixed(4) : String(value));

function formatTable(args: MetricsCommandArgs, metrics: ReturnMetrics): string {
  const rows: [string, string][] = [
    ['periods', String(metrics.periods)],
    ['total return', percent(metrics.totalReturn)],
    ['CAGR', percent(metrics.cagr)],
    ['annual volatility', percent(metrics.annualVolatility)],
    ['Sharpe', ratio(metrics.sharpe)],
    ['Sortino', ratio(metrics.sortino)],
    ['max drawdown', percent(metrics.maxDrawdown)],
    ['max drawdown duration', `${metrics.maxDrawdownDurationPeriods} periods`],
    ['Calmar', ratio(metrics.calmar)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const valueWidth = Math.max(...rows.map(([, value]) => value.length));
  const header = `metrics for ${args.returnsFile} (${args.periodsPerYear} periods a year, risk-free ${args.riskFree} a year)`;
  return [header, ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value.padStart(valueWidth)}`)].join('\n');
}

/**
 * Runs the metrics command. Returns the exit code: 0 on success, 2 when the file cannot be read,
 * is empty, holds a line that is not a number (`file:line: field "return" was "x": not a number`),
 * or the options are invalid. JSON output writes NaN and Infinity as null.
 */
export async function runMetricsCommand(args: MetricsCommandArgs, io: MetricsCommandIo): Promise<number> {
  const fail = (message: string) => {
    (io.stderr ?? io.stdout)(message);
    return 2;
  };
  let text: string;
  try {
    text = await readFile(args.returnsFile, 'utf8');
  } catch (error) {
    return fail(`${args.returnsFile}: cannot read returns file: ${(error as Error).message}`);
  }
  let metrics: ReturnMetrics;
  try {
    const returns = parseReturns(args.returnsFile, text);
    metrics = computeReturnMetrics(returns, { periodsPerYear: args.periodsPerYear, riskFreeRate: args.riskFree });
  } catch (error) {
    return fail(error instanceof InputError ? error.message : `metrics: ${(error as Error).message}`);
  }
  if (args.json) {
    io.stdout(
      JSON.stringify(
        { file: args.returnsFile, periodsPerYear: args.periodsPerYear, riskFreeRate: args.riskFree, metrics },
        null,
        2,
      ),
    );
  } else {
    io.stdout(formatTable(args, metrics));
  }
  return 0;
}

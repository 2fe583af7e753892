import { parseArgs } from 'node:util';
import { runMetricsCommand } from './metrics';

/** `metrics --returns F --periods-per-year N [--risk-free R] [--json]`: argv to the metrics command. Exit 2 on bad flags. */
export async function runMetricsCli(argv: string[], io: { stdout(s: string): void; stderr(s: string): void }): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        returns: { type: 'string' },
        'periods-per-year': { type: 'string' },
        'risk-free': { type: 'string', default: '0' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    io.stderr(`metrics: ${(error as Error).message}`);
    return 2;
  }
  if (!values.returns) {
    io.stderr('metrics: flag "--returns" is required: a file with one simple periodic return per line');
    return 2;
  }
  const periodsPerYear = Number(values['periods-per-year']);
  if (values['periods-per-year'] === undefined || !Number.isFinite(periodsPerYear) || periodsPerYear <= 0) {
    io.stderr(`metrics: flag "--periods-per-year" was "${values['periods-per-year'] ?? ''}": expected a positive number (365 for daily crypto returns)`);
    return 2;
  }
  const riskFree = Number(values['risk-free']);
  if (!Number.isFinite(riskFree)) {
    io.stderr(`metrics: flag "--risk-free" was "${values['risk-free']}": expected an annual rate such as 0 or 0.04`);
    return 2;
  }
  return runMetricsCommand({ returnsFile: values.returns, periodsPerYear, riskFree, json: values.json ?? false }, io);
}

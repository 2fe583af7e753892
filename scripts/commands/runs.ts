/** `runs`: lists backtest runs, newest first (table, or JSON with --json). */
import { parseArgs } from 'node:util';
import type { BacktestRunSummary } from '../../engine/ports/backtest-runs';
import type { Page } from '../../engine/ports/journal';

export interface RunsCommandServices {
  listBacktestRuns(page: { limit?: number; cursor?: string }): Promise<Page<BacktestRunSummary>>;
  stdout(s: string): void;
  stderr(s: string): void;
}

export async function runRunsCommand(args: string[], services: RunsCommandServices): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { limit: { type: 'string', default: '20' }, json: { type: 'boolean', default: false } }, strict: true }));
  } catch (error) {
    services.stderr(`runs: ${(error as Error).message}`);
    return 2;
  }
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    services.stderr(`runs: --limit "${values.limit}" must be an integer from 1 to 1000`);
    return 2;
  }
  const page = await services.listBacktestRuns({ limit });
  if (values.json) {
    services.stdout(JSON.stringify(page.items, null, 2));
    return 0;
  }
  if (page.items.length === 0) {
    services.stdout('no backtest runs yet; start one with `npm run cli -- backtest ...`');
    return 0;
  }
  for (const run of page.items) {
    const range = `${new Date(run.fromMs).toISOString().slice(0, 10)}..${new Date(run.toMs).toISOString().slice(0, 10)}`;
    const tail = run.status === 'failed' ? `error: ${run.error}` : run.status === 'complete' ? `${run.tradeCount} trades` : 'running';
    services.stdout(`${run.id}  ${run.status.padEnd(8)}  ${run.exchange} ${run.symbol} ${run.timeframe} ${range}  ${tail}`);
  }
  return 0;
}

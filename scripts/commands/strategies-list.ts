/** `strategies`: lists the engine's strategy catalog (built-in, file and rule strategies), as a table or JSON with --json. */
import { parseArgs } from 'node:util';
import type { StrategyDescription } from '../../engine/strategies/strategy-catalog';

export interface StrategiesListServices {
  describeStrategies(): StrategyDescription[];
  stdout(s: string): void;
  stderr(s: string): void;
}

/** One line per strategy: name, source, version, the first 12 hex digits of its source hash, its defaults or its load error. */
export async function runStrategiesListCommand(args: string[], services: StrategiesListServices): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } }, strict: true }));
  } catch (error) {
    services.stderr(`strategies: ${(error as Error).message}`);
    return 2;
  }
  const items = services.describeStrategies();
  if (values.json) {
    services.stdout(JSON.stringify(items, null, 2));
    return 0;
  }
  for (const s of items) {
    const status = s.loadError ? `failed to load: ${s.loadError}` : Object.entries(s.defaults).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
    services.stdout(`${s.name.padEnd(24)} ${s.source.padEnd(8)} ${(s.version || '-').padEnd(10)} ${s.sourceHash.slice(0, 12)}  ${status}`);
  }
  return 0;
}

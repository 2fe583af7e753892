/** The four built-in strategies, in the order forms and the API list them, and the catalog made of them. */
import { donchianBreakout } from './donchian-breakout';
import { emaTrend } from './ema-trend';
import { maCrossover } from './ma-crossover';
import { rsiMeanReversion } from './rsi-mean-reversion';
import type { StrategyDefinition } from './strategy-api';
import { createStrategyCatalog, type StrategyCatalog } from './strategy-catalog';

/** The built-in strategy definitions: ma-crossover, rsi-mean-reversion, ema-trend, donchian-breakout. */
export const BUILT_IN_STRATEGIES: readonly StrategyDefinition[] = Object.freeze([
  maCrossover,
  rsiMeanReversion,
  emaTrend,
  donchianBreakout,
] as unknown as StrategyDefinition[]);

/** The strategy every default strategy group enables. */
export const DEFAULT_STRATEGY_NAME = 'ma-crossover';

/** A fresh catalog holding only the built-ins (tests, benchmarks, engines built without one). */
export function createBuiltInCatalog(): StrategyCatalog {
  return createStrategyCatalog(BUILT_IN_STRATEGIES);
}

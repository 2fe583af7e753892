/** Strategy adapters: the catalog, the adapter contract and the four built-in strategies. */
export { BUILT_IN_STRATEGIES, DEFAULT_STRATEGY_NAME, createBuiltInCatalog } from './built-in-strategies';
export {
  StrategySource,
  createAdapterFromDefinition,
  createStrategyCatalog,
  type CatalogEntry,
  type StrategyCatalog,
  type StrategyDescription,
  type StrategyProvenance,
} from './strategy-catalog';
export { defineStrategy, type StrategyDefinition } from './strategy-api';
export {
  COMMON_REASONS,
  Direction,
  MIN_FIRED_STRENGTH,
  createAdapterOutput,
  type AdapterOutput,
  type StrategyAdapter,
} from './strategy-adapter';
export { MA_CROSSOVER_DEFAULTS, MA_CROSSOVER_REASONS, createMaCrossover, type MaCrossoverConfig } from './ma-crossover';
export {
  RSI_MEAN_REVERSION_DEFAULTS,
  RSI_MEAN_REVERSION_REASONS,
  createRsiMeanReversion,
  type RsiMeanReversionConfig,
} from './rsi-mean-reversion';
export { EMA_TREND_DEFAULTS, EMA_TREND_REASONS, createEmaTrend, type EmaTrendConfig } from './ema-trend';
export {
  DONCHIAN_BREAKOUT_DEFAULTS,
  DONCHIAN_BREAKOUT_REASONS,
  createDonchianBreakout,
  type DonchianBreakoutConfig,
} from './donchian-breakout';

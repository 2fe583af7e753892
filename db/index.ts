/** The db room's public surface, for the composition root. */
export { createDatabase, type Database, type DatabaseConfig, type Db } from './client';
export { migrateDatabase, schemaVersion, type MigrateOptions, type SchemaVersion } from './migrate';
export { createCandleRepository } from './repositories/candle-repository';
export { createJournalRepository } from './repositories/journal-repository';
export { createRiskStateRepository } from './repositories/risk-state-repository';
export { createBacktestRunRepository } from './repositories/backtest-run-repository';

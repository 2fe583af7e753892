/**
 * Global setup step: stores the e2e live sessions (see live-sessions-fixture.ts) in the embedded
 * database of the data dir given as the first argument, before the server opens it.
 * Usage: node --import tsx tests/e2e/seed-live-sessions.ts <data dir>
 */
import { createDatabase } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { createLiveSessionRepository } from '../../db/repositories/live-session-repository';
import { E2E_DRIFT_SESSION, E2E_NO_CANDLES_SESSION } from './live-sessions-fixture';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: seed-live-sessions.ts <data dir>');
const database = await createDatabase({ dataDir });
try {
  await migrateDatabase(database);
  const sessions = createLiveSessionRepository(database.db);
  for (const session of [E2E_DRIFT_SESSION, E2E_NO_CANDLES_SESSION]) await sessions.upsert({ ...session, config: { ...session.config, strategies: [...session.config.strategies] } });
} finally {
  await database.close();
}

/**
 * Start-up schema policy per process role. A process of role `all` or `web` migrates the database on
 * start (the embedded default is one process; on PostgreSQL the web servers carry a new build's schema).
 * A `trader` or `worker` never migrates: it refuses to start while the database lacks a migration this
 * build ships, naming them and what to run, and warns when a newer build migrated the database past it.
 */
import type { Logger } from '@/engine/core/logger';
import { migrateDatabase, migrationStatus, type MigrateOptions } from '@/db/migrate';
import type { Database } from '@/db/client';
import { ConfigError, ProcessRole } from './config';

/** Whether a process of `role` applies pending migrations on start. */
export function migratesOnStart(role: ProcessRole): boolean {
  return role === ProcessRole.All || role === ProcessRole.Web;
}

/**
 * Migrates (roles `all`, `web`) or checks (roles `trader`, `worker`) the database's schema.
 * @throws ConfigError naming the role, how many and which migrations are missing, and the command to run, when a non-migrating role finds the database behind.
 * @throws RepositoryError when migrating or reading the applied migrations fails.
 */
export async function prepareSchema(database: Database, role: ProcessRole, logger: Logger, options: MigrateOptions = {}): Promise<void> {
  if (migratesOnStart(role)) {
    await migrateDatabase(database, options);
    return;
  }
  const status = await migrationStatus(database, options);
  if (status.pending.length > 0) {
    const n = status.pending.length;
    throw new ConfigError(
      `the database is ${n} migration${n === 1 ? '' : 's'} behind this build (${status.applied} of ${status.available} applied; missing: ${status.pending.join(', ')}): ` +
        `a ${role} process never migrates. Run \`npm run cli -- migrate\` with this DATABASE_URL (or start a web server of this build, which migrates), then start the ${role} again`,
    );
  }
  if (status.ahead) {
    logger.warn({ role, applied: status.applied, available: status.available }, 'the database was migrated by a newer build than this one: upgrade this process soon');
  }
}

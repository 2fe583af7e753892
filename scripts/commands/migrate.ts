/**
 * `migrate`: applies the migrations this build ships that the database lacks, and reports them; with
 * `--check`, applies nothing and exits 3 while some are missing (for a deploy script that starts traders
 * and workers, which never migrate on start).
 */
import { parseArgs } from 'node:util';
import type { MigrationStatus } from '../../db/migrate';

export interface MigrateCommandServices {
  status(): Promise<MigrationStatus>;
  migrate(): Promise<void>;
  stdout(s: string): void;
  stderr(s: string): void;
}

const summary = (s: MigrationStatus) => `${s.applied} of ${s.available} migrations applied`;

export async function runMigrateCommand(args: string[], services: MigrateCommandServices): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { check: { type: 'boolean', default: false } }, strict: true }));
  } catch (error) {
    services.stderr(`migrate: ${(error as Error).message}`);
    return 2;
  }
  const before = await services.status();
  if (before.ahead) services.stderr(`migrate: the database was migrated by a newer build than this one (${summary(before)}); nothing to apply here`);
  if (before.pending.length === 0) {
    services.stdout(`schema current: ${summary(before)}`);
    return 0;
  }
  if (values.check) {
    services.stdout(`schema behind: ${summary(before)}; missing: ${before.pending.join(', ')}`);
    return 3;
  }
  await services.migrate();
  const after = await services.status();
  services.stdout(`applied ${before.pending.length}: ${before.pending.join(', ')}; ${summary(after)}`);
  return after.pending.length === 0 ? 0 : 1;
}

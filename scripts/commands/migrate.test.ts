import { describe, expect, it } from 'vitest';
import type { MigrationStatus } from '../../db/migrate';
import { runMigrateCommand } from './migrate';

/** Services over a fake database: `migrate` applies every pending migration. */
function services(initial: MigrationStatus) {
  let status = initial;
  const out: string[] = [];
  const err: string[] = [];
  let migrations = 0;
  return {
    out,
    err,
    migrations: () => migrations,
    deps: {
      status: async () => status,
      migrate: async () => {
        migrations++;
        status = { ...status, applied: status.available, pending: [] };
      },
      stdout: (s: string) => void out.push(s),
      stderr: (s: string) => void err.push(s),
    },
  };
}

const BEHIND: MigrationStatus = { applied: 18, available: 20, pending: ['0020_risk_state_halt_version', '0021_month_partition_lock'], ahead: false };

describe('migrate command', () => {
  it('applies the missing migrations and names them', async () => {
    const s = services(BEHIND);
    expect(await runMigrateCommand([], s.deps)).toBe(0);
    expect(s.migrations()).toBe(1);
    expect(s.out).toEqual(['applied 2: 0020_risk_state_halt_version, 0021_month_partition_lock; 20 of 20 migrations applied']);
  });

  it('with --check applies nothing and exits 3 while some are missing', async () => {
    const s = services(BEHIND);
    expect(await runMigrateCommand(['--check'], s.deps)).toBe(3);
    expect(s.migrations()).toBe(0);
    expect(s.out).toEqual(['schema behind: 18 of 20 migrations applied; missing: 0020_risk_state_halt_version, 0021_month_partition_lock']);
  });

  it('says the schema is current and applies nothing, warning when a newer build migrated it', async () => {
    const current = services({ applied: 20, available: 20, pending: [], ahead: false });
    expect(await runMigrateCommand(['--check'], current.deps)).toBe(0);
    expect(current.out).toEqual(['schema current: 20 of 20 migrations applied']);
    const ahead = services({ applied: 21, available: 20, pending: [], ahead: true });
    expect(await runMigrateCommand([], ahead.deps)).toBe(0);
    expect(ahead.migrations()).toBe(0);
    expect(ahead.err).toEqual(['migrate: the database was migrated by a newer build than this one (21 of 20 migrations applied); nothing to apply here']);
  });

  it('refuses an unknown flag with exit code 2, naming it', async () => {
    const s = services(BEHIND);
    expect(await runMigrateCommand(['--force'], s.deps)).toBe(2);
    expect(s.err[0]).toMatch(/^migrate: Unknown option '--force'/);
    expect(s.migrations()).toBe(0);
  });
});

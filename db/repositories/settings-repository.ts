/** Drizzle implementation of the engine's SettingsRepository (the `app_settings` table): one JSON value per key, upserted. */
import { eq } from 'drizzle-orm';
import type { SettingRecord, SettingsRepository } from '../../engine/ports/settings';
import type { Db } from '../client';
import { appSettings } from '../schema';
import { wrapDriver } from './sql-helpers';

/** Builds the settings repository over a drizzle handle (PGlite or postgres.js). */
export function createSettingsRepository(db: Db): SettingsRepository {
  return {
    async get(key: string): Promise<SettingRecord | null> {
      const rows = await wrapDriver(`loading setting "${key}"`, () => db.select().from(appSettings).where(eq(appSettings.key, key)));
      const r = rows[0];
      if (r === undefined) return null;
      return { key: r.key, value: r.value, updatedAtMs: Number(r.updatedAtMs), updatedBy: r.updatedBy };
    },

    async put(record: SettingRecord): Promise<void> {
      const row = { key: record.key, value: record.value, updatedAtMs: record.updatedAtMs, updatedBy: record.updatedBy };
      await wrapDriver(`saving setting "${record.key}"`, () =>
        db.insert(appSettings).values(row).onConflictDoUpdate({ target: appSettings.key, set: { value: row.value, updatedAtMs: row.updatedAtMs, updatedBy: row.updatedBy } }),
      );
    },
  };
}

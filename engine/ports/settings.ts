/**
 * Application settings storage port (the `app_settings` table).
 * engine/ports holds every interface the engine needs from outside; it imports only engine/core and other ports.
 */
/** One stored application setting (the `app_settings` table): a JSON value under a key. */
export interface SettingRecord {
  key: string;
  value: unknown;
  updatedAtMs: number;
  /** Who changed it (e-mail or `cli`); null when unknown. */
  updatedBy: string | null;
}

/** Application settings storage. */
export interface SettingsRepository {
  get(key: string): Promise<SettingRecord | null>;
  /** Inserts or replaces the value under `record.key`. */
  put(record: SettingRecord): Promise<void>;
}

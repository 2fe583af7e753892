/**
 * Drizzle implementation of the engine's NotificationSettingsStore (the `notification_settings`
 * table): one row holding the settings JSON encrypted with the injected cipher (the app's
 * AES-256-GCM secret box), because channels carry bot tokens, webhook URLs and signing secrets.
 * Every server of one database reads and writes the same row.
 */
import { eq } from 'drizzle-orm';
import { ValidationError } from '../../engine/core/errors';
import {
  emptyNotificationSettings,
  parseNotificationSettings,
  type NotificationSettings,
  type NotificationSettingsStore,
} from '../../engine/notify/notification-settings';
import type { Db } from '../client';
import { notificationSettings } from '../schema';
import { wrapDriver } from './sql-helpers';

/** Encrypts secrets at rest; `decrypt` throws when the ciphertext was altered or made with another key. */
export interface SecretCipher {
  encrypt(plaintext: string): string;
  decrypt(ciphertext: string): string;
}

export interface NotificationSettingsRepository extends NotificationSettingsStore {
  /** The row's `updated_at_ms`, or null before the first save. */
  savedAtMs(): Promise<number | null>;
  /** Whether settings were ever saved (a row exists). */
  exists(): Promise<boolean>;
  /**
   * Validates and stores `settings` only when none are stored yet (a one-time import); the first
   * writer wins when servers race. Returns true when this call stored them.
   * @throws ValidationError naming the field.
   */
  saveIfAbsent(settings: unknown): Promise<boolean>;
}

const ROW_ID = 'default';

/** Builds the repository over a drizzle handle (PGlite or postgres.js). */
export function createNotificationSettingsRepository(db: Db, deps: { cipher: SecretCipher; nowMs: () => number }): NotificationSettingsRepository {
  const rowOf = (settings: NotificationSettings) => ({ id: ROW_ID, ciphertext: deps.cipher.encrypt(JSON.stringify(settings)), updatedAtMs: deps.nowMs() });
  return {
    async load() {
      const rows = await wrapDriver('loading notification settings', () =>
        db.select({ ciphertext: notificationSettings.ciphertext }).from(notificationSettings).where(eq(notificationSettings.id, ROW_ID)).limit(1),
      );
      if (rows.length === 0) return emptyNotificationSettings();
      let plaintext: string;
      try {
        plaintext = deps.cipher.decrypt(rows[0].ciphertext);
      } catch (error) {
        const reason = `cannot be decrypted (${error instanceof Error ? error.message : String(error)}); was AETHELRED_ENCRYPTION_KEY changed?`;
        throw new ValidationError('notification_settings.ciphertext', '(encrypted)', reason);
      }
      let raw: unknown;
      try {
        raw = JSON.parse(plaintext) as unknown;
      } catch {
        throw new ValidationError('notification_settings.ciphertext', '(encrypted)', 'the decrypted settings are not valid JSON');
      }
      return parseNotificationSettings(raw);
    },
    async save(input) {
      const settings = parseNotificationSettings(input);
      const row = rowOf(settings);
      await wrapDriver('saving notification settings', () =>
        db.insert(notificationSettings).values(row).onConflictDoUpdate({ target: notificationSettings.id, set: { ciphertext: row.ciphertext, updatedAtMs: row.updatedAtMs } }),
      );
      return settings;
    },
    async saveIfAbsent(input) {
      const row = rowOf(parseNotificationSettings(input));
      const inserted = await wrapDriver('importing notification settings', () =>
        db.insert(notificationSettings).values(row).onConflictDoNothing({ target: notificationSettings.id }).returning({ id: notificationSettings.id }),
      );
      return inserted.length === 1;
    },
    async savedAtMs() {
      const rows = await wrapDriver('reading when notification settings changed', () =>
        db.select({ updatedAtMs: notificationSettings.updatedAtMs }).from(notificationSettings).where(eq(notificationSettings.id, ROW_ID)).limit(1),
      );
      return rows.length === 0 ? null : Number(rows[0].updatedAtMs);
    },
    async exists() {
      const rows = await wrapDriver('reading notification settings', () =>
        db.select({ id: notificationSettings.id }).from(notificationSettings).where(eq(notificationSettings.id, ROW_ID)).limit(1),
      );
      return rows.length === 1;
    },
  };
}

/**
 * Notification settings in one JSON file under the data dir (mode 0600: it holds bot tokens,
 * webhook URLs and signing secrets). Writes go to a temp file then rename, so a crash never leaves
 * half-written settings. A database table (encrypted with the secret box) would be better once the
 * schema owner adds one: settings would then be shared by every server of one database.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { ValidationError } from '@/engine/core/errors';
import {
  emptyNotificationSettings,
  parseNotificationSettings,
  type NotificationSettings,
  type NotificationSettingsStore,
} from '@/engine/notify/notification-settings';

/** Default file name under the data dir. */
export const NOTIFICATION_SETTINGS_FILE = 'notification-settings.json';

/** A file-backed store at `filePath`. */
export function createFileNotificationSettingsStore(filePath: string): NotificationSettingsStore {
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(filePath, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyNotificationSettings();
        throw error;
      }
      let raw: unknown;
      try {
        raw = JSON.parse(text) as unknown;
      } catch {
        throw new ValidationError('file', filePath, 'the notification settings file is not valid JSON');
      }
      return parseNotificationSettings(raw);
    },
    async save(input) {
      const settings: NotificationSettings = parseNotificationSettings(input);
      await mkdir(path.dirname(filePath), { recursive: true });
      const temp = `${filePath}.${randomUUID()}.tmp`;
      await writeFile(temp, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
      await rename(temp, filePath);
      return settings;
    },
  };
}

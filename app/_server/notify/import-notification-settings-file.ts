/**
 * One-time move of notification settings from the JSON file older versions kept under the data dir
 * (`notification-settings.json`, mode 0600) into the database. Runs at start-up: when the database
 * holds no settings and the file exists, its settings are stored (encrypted) and the file is renamed
 * to `<name>.imported`, so the import happens once. A bad file is logged and left for an admin;
 * notifications never stop the server from starting.
 */
import { readFile, rename } from 'node:fs/promises';
import { ValidationError } from '@/engine/core/errors';
import type { Logger } from '@/engine/core/logger';
import type { NotificationSettingsRepository } from '@/db/repositories/notification-settings-repository';

/** The file name older versions used under the data dir. */
export const NOTIFICATION_SETTINGS_FILE = 'notification-settings.json';

/** What the import did: stored the file's settings, found no file, kept the database's, or refused a bad file. */
export type NotificationSettingsImport = 'imported' | 'no-file' | 'database-has-settings' | 'invalid-file';

export async function importNotificationSettingsFile(
  filePath: string,
  deps: { repository: Pick<NotificationSettingsRepository, 'exists' | 'saveIfAbsent'>; logger: Logger },
): Promise<NotificationSettingsImport> {
  let text: string;
  try {
    text = await readFile(filePath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'no-file';
    throw error;
  }
  const ignored = () => {
    deps.logger.warn({ file: filePath }, 'notification settings file ignored: the database already holds notification settings; the file may be deleted');
    return 'database-has-settings' as const;
  };
  if (await deps.repository.exists()) return ignored();
  let stored: boolean;
  try {
    stored = await deps.repository.saveIfAbsent(JSON.parse(text) as unknown);
  } catch (error) {
    if (!(error instanceof SyntaxError) && !(error instanceof ValidationError)) throw error;
    deps.logger.error({ file: filePath, err: error }, 'notification settings file not imported: it is invalid; fix it and restart, or save settings from the admin API');
    return 'invalid-file';
  }
  if (!stored) return ignored(); // another server imported or saved first
  const importedPath = `${filePath}.imported`;
  await rename(filePath, importedPath);
  deps.logger.info({ from: filePath, renamedTo: importedPath }, 'imported notification settings from the file into the database (encrypted); the renamed file may be deleted');
  return 'imported';
}

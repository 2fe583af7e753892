/**
 * Secrets that default to files under the data directory so `npm start` works with no
 * configuration: generated on first start with mode 0600, read on later starts.
 * Only the composition root calls this.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Returns the configured value, else the content of `${dataDir}/${fileName}`, else a new
 * random value (32 bytes, base64) written there with mode 0600 (exclusive create, so two
 * processes starting at once agree on one value).
 */
export function loadOrCreateSecret(configured: string | undefined, dataDir: string, fileName: string): { value: string; source: 'config' | 'file' | 'generated' } {
  if (configured) return { value: configured, source: 'config' };
  const file = path.join(dataDir, fileName);
  try {
    return { value: readFileSync(file, 'utf8').trim(), source: 'file' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dataDir, { recursive: true });
  const value = randomBytes(32).toString('base64');
  try {
    writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
    return { value, source: 'generated' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { value: readFileSync(file, 'utf8').trim(), source: 'file' };
    throw error;
  }
}

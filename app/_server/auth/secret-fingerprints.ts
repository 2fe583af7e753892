/**
 * Which secrets a database was written with: a keyed fingerprint (HMAC-SHA256 of a fixed label under
 * each secret, which identifies the secret without revealing it) stored in a settings row on the first
 * start and compared on every start. A server started with a different AETHELRED_AUTH_SECRET (cookies
 * and API tokens signed by the others would fail) or AETHELRED_ENCRYPTION_KEY (stored credentials and
 * webhook secrets would not decrypt) refuses to start, naming the variable. Only the composition root
 * calls this.
 */
import { createHmac } from 'node:crypto';
import type { SettingsRepository } from '@/engine/ports/settings';

/** The settings key of the stored fingerprints. */
export const SECRET_FINGERPRINTS_KEY = 'secret-fingerprints';

const LABEL = 'aethelred secret fingerprint v1';

/** The secrets a server runs with, and where each came from (config or a file under the data dir). */
export interface ServerSecrets {
  auth: { value: string; source: string; file: string };
  encryption: { value: string; source: string; file: string };
}

/** Hex HMAC-SHA256 of a fixed label under `secret` (64 characters). */
export function secretFingerprint(secret: string): string {
  return createHmac('sha256', secret).update(LABEL).digest('hex');
}

/** Thrown when a secret differs from the one the database was written with; the message names the variable. */
export class SecretMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretMismatchError';
  }
}

const VARIABLES = { auth: 'AETHELRED_AUTH_SECRET', encryption: 'AETHELRED_ENCRYPTION_KEY' } as const;

/**
 * Stores the fingerprints on the first start (re-read after writing, so of two servers starting at once
 * with different secrets the one that lost refuses); afterwards refuses a start whose secrets differ.
 * @throws SecretMismatchError naming each variable that differs and where this server's value came from.
 */
export async function checkSecretFingerprints(secrets: ServerSecrets, deps: { settings: SettingsRepository; nowMs: () => number }): Promise<void> {
  const mine = { auth: secretFingerprint(secrets.auth.value), encryption: secretFingerprint(secrets.encryption.value) };
  let stored = (await deps.settings.get(SECRET_FINGERPRINTS_KEY))?.value as Partial<typeof mine> | undefined;
  if (!stored) {
    await deps.settings.put({ key: SECRET_FINGERPRINTS_KEY, value: mine, updatedAtMs: deps.nowMs(), updatedBy: 'server start' });
    stored = (await deps.settings.get(SECRET_FINGERPRINTS_KEY))?.value as Partial<typeof mine> | undefined;
  }
  const differing = (['auth', 'encryption'] as const).filter((kind) => stored?.[kind] !== undefined && stored[kind] !== mine[kind]);
  if (differing.length === 0) return;
  const lines = differing.map((kind) => {
    const secret = secrets[kind];
    const from = secret.source === 'config' ? `set in ${VARIABLES[kind]}` : `read from ${secret.file} because ${VARIABLES[kind]} is unset`;
    return `${VARIABLES[kind]}: this server's value (${from}) is not the one this database was written with (fingerprint ${stored![kind]!.slice(0, 12)}…, this server's ${mine[kind].slice(0, 12)}…)`;
  });
  throw new SecretMismatchError(
    `refusing to start: ${lines.join('; ')}. Start every server on this database with the same ${differing.map((kind) => VARIABLES[kind]).join(' and ')}.`,
  );
}

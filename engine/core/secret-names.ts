/**
 * The one list of names whose values are secrets. The app logger redacts these keys (pino redaction,
 * app/_server/telemetry/app-logger.ts); refusals never quote the value of a field named like one
 * (the gate's unstorable-text refusal, notification settings' validation messages).
 */

/** Exact key names the logger redacts wherever they appear at depth 0 or 1. */
export const SECRET_KEYS = [
  'apiKey',
  'secret',
  'password',
  'token',
  'authorization',
  'cookie',
  'authSecret',
  'encryptionKey',
  'ciphertext',
  'botToken',
  'webhookUrl',
  'signingKey',
  'signingSecret',
] as const;

const SECRET_WORDS = SECRET_KEYS.map((key) => key.toLowerCase());

/**
 * Whether a field named `name` may hold a secret, so its value must not be quoted: its name contains one of
 * {@link SECRET_KEYS}, case-insensitive (`newPassword`, `apiSecret`, `x-api-token`), or ends in "url" (a
 * channel's webhook URL carries its token in the path). Errs towards hiding: `tokenId` is not quoted either.
 */
export function isSecretFieldName(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.endsWith('url') || SECRET_WORDS.some((word) => lower.includes(word));
}

/** Whether any segment of a field path (`["channels", "0", "botToken"]` or `channels.0.botToken`) names a secret. */
export function isSecretFieldPath(path: readonly string[] | string): boolean {
  return (typeof path === 'string' ? path.split('.') : path).some(isSecretFieldName);
}

/**
 * The application's pino logger: JSON lines, `app: "aethelred"` on every entry, and secrets
 * redacted wherever they appear at the top level, one level down, or in request headers.
 */
import pino from 'pino';
import { SECRET_KEYS } from '@/engine/core/secret-names';

/** pino redact paths: each secret key at depth 0 and 1, plus request/response header forms. */
export const LOG_REDACT_PATHS: readonly string[] = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((key) => `*.${key}`),
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
];

/** Builds the root logger. `destination` is for tests (defaults to stdout). */
export function createAppLogger(level: string, destination?: pino.DestinationStream): pino.Logger {
  const options: pino.LoggerOptions = { level, base: { app: 'aethelred' }, redact: { paths: [...LOG_REDACT_PATHS], censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}

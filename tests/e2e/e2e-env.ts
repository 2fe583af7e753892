import path from 'node:path';

export const E2E_STATE_FILE = path.resolve('test-results/e2e-server.json');
/** An admin API token created by global setup (for Bearer requests). */
export const E2E_ADMIN_TOKEN_FILE = path.resolve('test-results/e2e-admin-token.txt');
/** 12 hand-made five-minute candles (synthetic values, not market data) starting 2024-01-01T00:00Z. */
export const FIXTURE_CANDLES = path.resolve('tests/fixtures/btc-usdt-5m-small.csv');
export const FIXTURE_CANDLE_COUNT = 12;

/** One user per role, created through the CLI by global setup. */
export const E2E_PASSWORD = 'e2e-password-not-secret';
export const E2E_USERS = { viewer: 'viewer@e2e.test', trader: 'trader@e2e.test', admin: 'admin@e2e.test' } as const;
/** A viewer of its own for the change-password test (changing a shared user's password would sign other specs out). */
export const E2E_PASSWORD_CHANGER = 'changer@e2e.test';
/** Fixed secrets for the server under test, so the bundle check can search for them. Test values only. */
export const E2E_AUTH_SECRET = 'e2e-auth-secret-0123456789abcdef-do-not-use';
export const E2E_ENCRYPTION_KEY = Buffer.from('e2e-encryption-key-32-bytes-long').toString('base64');

/**
 * Environment for the CLI and server under test: a fresh embedded database of its own, and the port
 * (E2E_PORT, which global setup sets to a free port when it is unset).
 */
export function e2eEnv(): NodeJS.ProcessEnv & { AETHELRED_DATA_DIR: string; E2E_PORT: string } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const port = process.env.E2E_PORT;
  if (port === undefined) throw new Error('E2E_PORT is not set: global setup picks a free port before anything reads it');
  delete env.DATABASE_URL;
  return {
    ...env,
    AETHELRED_DATA_DIR: path.resolve('.data/e2e'),
    E2E_PORT: port,
    // The app stops the engine itself on SIGTERM (journal flushed, lease released); see scripts/start.sh.
    NEXT_MANUAL_SIG_HANDLE: 'true',
    LOG_LEVEL: 'warn',
    AETHELRED_AUTH_SECRET: E2E_AUTH_SECRET,
    AETHELRED_ENCRYPTION_KEY: E2E_ENCRYPTION_KEY,
  };
}

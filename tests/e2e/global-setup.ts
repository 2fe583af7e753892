import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { e2eEnv, E2E_ADMIN_TOKEN_FILE, E2E_PASSWORD, E2E_PASSWORD_CHANGER, E2E_STATE_FILE, E2E_USERS, FIXTURE_CANDLES } from './e2e-env';
import { REPLAY_MARKETS, SYNTHETIC_MARKET, writeReplayCandles, writeSyntheticCandles } from './synthetic-candles';
import { freePort } from '../support/free-port';
import { startBinanceReplayServer } from '../support/binance-replay-server';

/**
 * Imports a candle file through the real CLI into a fresh embedded database, then starts the
 * production server on it, on E2E_PORT or a free port. (PGlite is single-process, so the import runs before the server opens it.)
 */
export default async function globalSetup() {
  // Workers start after global setup and inherit this environment (playwright.config.ts reads it for baseURL).
  process.env.E2E_PORT ??= String(await freePort());
  const env = e2eEnv();
  fs.rmSync(env.AETHELRED_DATA_DIR, { recursive: true, force: true });
  fs.mkdirSync(env.AETHELRED_DATA_DIR, { recursive: true });
  execFileSync(
    process.execPath,
    ['--import', 'tsx', 'scripts/cli.ts', 'import-candles', '--file', FIXTURE_CANDLES, '--exchange', 'binance', '--symbol', 'BTC/USDT', '--timeframe', '5m'],
    { env, stdio: 'inherit' },
  );
  // A larger synthetic market for the journal/backtest specs (the 12-candle fixture is too short to trade).
  execFileSync(
    process.execPath,
    ['--import', 'tsx', 'scripts/cli.ts', 'import-candles', '--file', writeSyntheticCandles(), '--exchange', SYNTHETIC_MARKET.exchange, '--symbol', SYNTHETIC_MARKET.symbol, '--timeframe', SYNTHETIC_MARKET.timeframe],
    { env, stdio: 'inherit' },
  );
  // Two markets the account specs replay and force-exit on (kept apart from the journal specs' ETH/USDT).
  for (const market of REPLAY_MARKETS) {
    execFileSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/cli.ts', 'import-candles', '--file', writeReplayCandles(market), '--exchange', market.exchange, '--symbol', market.symbol, '--timeframe', market.timeframe],
      { env, stdio: 'inherit' },
    );
  }
  // Stopped paper sessions for the live drift view (no journaled trades; see live-sessions-fixture.ts).
  execFileSync(process.execPath, ['--import', 'tsx', 'tests/e2e/seed-live-sessions.ts', env.AETHELRED_DATA_DIR], { env, stdio: 'inherit' });
  for (const [role, email] of [...Object.entries(E2E_USERS), ['viewer', E2E_PASSWORD_CHANGER]]) {
    const command = role === 'admin' ? ['create-admin'] : ['create-user', '--role', role];
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', ...command, '--email', email, '--password', E2E_PASSWORD], { env, stdio: 'inherit' });
  }
  // An admin API token for the fuzz suite's Bearer requests (the CLI prints it alone on stdout).
  const token = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', 'create-token', '--email', E2E_USERS.admin, '--role', 'admin', '--name', 'e2e-fuzz'], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
    .toString()
    .trim();
  fs.mkdirSync(path.dirname(E2E_ADMIN_TOKEN_FILE), { recursive: true });
  fs.writeFileSync(E2E_ADMIN_TOKEN_FILE, token, { mode: 0o600 });
  if (!fs.existsSync(path.join('.next', 'BUILD_ID'))) {
    throw new Error('no production build found: run `npm run build` before the e2e tests');
  }
  const taken = await fetch(`http://127.0.0.1:${env.E2E_PORT}/api/health`).then(() => true, () => false);
  if (taken) throw new Error(`port ${env.E2E_PORT} is already serving something (an old server?): stop it or set E2E_PORT`);
  // A loopback Binance (the venue account spec links to it with stored keys); it lives as long as the runner.
  const binance = await startBinanceReplayServer({ clock: () => Date.now() });
  // The production server (server.mjs: next's handler behind a server that records each connection's peer address).
  const server = spawn(process.execPath, ['server.mjs', '--port', env.E2E_PORT, '--hostname', '127.0.0.1'], {
    env: { ...env, AETHELRED_CCXT_URLS: JSON.stringify(binance.urls) },
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
  fs.writeFileSync(E2E_STATE_FILE, JSON.stringify({ pid: server.pid }));
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${env.E2E_PORT}/api/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the production server did not become healthy within 60 s');
    await new Promise((r) => setTimeout(r, 500));
  }
  // Playwright calls what global setup returns as a teardown (after global-teardown.ts stopped the server).
  return async () => binance.close();
}

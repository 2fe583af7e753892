import fs from 'node:fs';
import { E2E_STATE_FILE } from './e2e-env';

/** Stops the production server started by global setup (SIGTERM: the engine stops cleanly). */
export default async function globalTeardown() {
  if (!fs.existsSync(E2E_STATE_FILE)) return;
  const { pid } = JSON.parse(fs.readFileSync(E2E_STATE_FILE, 'utf8')) as { pid: number };
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    // already gone
  }
  await new Promise((r) => setTimeout(r, 1000));
  fs.rmSync(E2E_STATE_FILE, { force: true });
}

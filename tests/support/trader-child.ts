/**
 * A trader process for the lease tests: builds the composition root from the environment (the test
 * sets AETHELRED_ROLE=trader, DATABASE_URL and a short AETHELRED_SESSION_LEASE_MS), starts it with its
 * workers (so it claims sessions nobody holds), and prints one JSON line per 100 ms: its lease owner id
 * and the sessions it runs, with their last candle, until it is killed.
 */
import pino from 'pino';
import { buildRoot } from '@/app/_server/root';
import { loadConfig } from '@/app/_server/config';

async function main(): Promise<void> {
  const root = await buildRoot(loadConfig(process.env, process.cwd()), { logDestination: pino.destination({ fd: 2, sync: true }) });
  await root.start();
  const owner = (await root.health()).leases?.owner ?? null;
  setInterval(() => {
    void root.engine.listLiveSessions().then((sessions) => {
      const running = sessions.filter((s) => s.state !== null && ['running', 'starting', 'reconnecting'].includes(s.state.status)).map((s) => ({ id: s.id, lastCandleMs: s.state!.lastCandleMs }));
      process.stdout.write(`${JSON.stringify({ pid: process.pid, owner, running })}\n`);
    });
  }, 100);
}

main().catch((error: unknown) => {
  process.stderr.write(`trader child failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

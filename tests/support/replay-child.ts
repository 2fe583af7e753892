/**
 * A server-like process for the kill -9 test: builds the composition root on the data dir in
 * AETHELRED_DATA_DIR (embedded PGlite), starts it with its workers (so sessions stored as running
 * resume), and with `start` imports a synthetic market and starts a replay session on the default
 * account. Prints one JSON line per 100 ms with the session's progress until it is killed.
 */
import pino from 'pino';
import { buildRoot } from '@/app/_server/root';
import { loadConfig } from '@/app/_server/config';
import { waveCsv } from '@/engine/testing/wave-candles';

const T0 = Date.UTC(2024, 0, 1);
const TF = 300_000;
const N = 20_000;

async function main(mode: string): Promise<void> {
  const root = await buildRoot(loadConfig(process.env, process.cwd()), { logDestination: pino.destination({ fd: 2, sync: true }) });
  await root.start();
  if (mode === 'start') {
    await root.engine.importCandleText({ csv: waveCsv({ count: N, startMs: T0, timeframeMs: TF }), key: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' }, name: 'wave' });
    await root.engine.startLiveSession({
      mode: 'replay',
      exchange: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '5m',
      strategies: ['ma-crossover'],
      params: { 'ma-crossover': { fastPeriod: 3, slowPeriod: 8 } },
      fusion: { entryThreshold: 0.05 },
      from: T0 + 400 * TF,
      speed: 200,
      veto: 'off',
    });
  }
  setInterval(() => {
    void root.engine.listLiveSessions().then((sessions) => {
      const s = sessions[0];
      process.stdout.write(`${JSON.stringify({ id: s?.id, status: s?.status, lastCandleMs: s?.state?.lastCandleMs ?? s?.lastCandleMs ?? null, processed: s?.state?.candlesProcessed ?? 0 })}\n`);
    });
  }, 100);
}

main(process.argv[2] ?? 'resume').catch((error: unknown) => {
  process.stderr.write(`replay child failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

/**
 * `npm run bench:api`: latency of the journal page and the JSON list endpoints on a running
 * production server (it starts nothing itself). Env: BENCH_URL (default http://127.0.0.1:3000),
 * BENCH_TOKEN (a viewer API token, required), BENCH_RATE (requests/s, default 200),
 * BENCH_DURATION (seconds per target, default 15), BENCH_CONNECTIONS (default 20).
 * Prints one `p50 … ms  p95 … ms  p99 … ms` line per target, from every response's latency.
 * Exits 1 when any response was not 2xx.
 */
import autocannon from 'autocannon';

const baseUrl = (process.env.BENCH_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
const token = process.env.BENCH_TOKEN;
const rate = Number(process.env.BENCH_RATE ?? 200);
const duration = Number(process.env.BENCH_DURATION ?? 15);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20);

const TARGETS = [
  '/journal',
  '/api/trades?limit=50',
  '/api/trades?limit=50&sort=pnl',
  '/api/trades?limit=50&symbol=BTC%2FUSDT&outcome=win',
  '/api/decisions?limit=50',
  '/api/decisions?limit=50&outcome=denied',
];

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function bench(path: string): Promise<{ ok: boolean; line: string }> {
  const latencies: number[] = [];
  let bad = 0;
  const instance = autocannon({
    url: `${baseUrl}${path}`,
    headers: { authorization: `Bearer ${token}`, accept: path.startsWith('/api/') ? 'application/json' : 'text/html' },
    connections,
    overallRate: rate,
    duration,
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
    if (statusCode < 200 || statusCode >= 300) bad++;
  });
  const result = await instance;
  const sorted = latencies.sort((a, b) => a - b);
  const fmt = (v: number) => v.toFixed(1).padStart(7);
  const errors = result.errors + result.timeouts;
  return {
    ok: bad === 0 && errors === 0,
    line: `${path.padEnd(52)} p50 ${fmt(percentile(sorted, 50))} ms  p95 ${fmt(percentile(sorted, 95))} ms  p99 ${fmt(percentile(sorted, 99))} ms  (${sorted.length} req, ${(sorted.length / duration).toFixed(0)}/s, non-2xx ${bad}, errors ${errors})`,
  };
}

async function main() {
  if (!token) {
    process.stderr.write('bench:api: BENCH_TOKEN is not set: create a viewer API token at /admin/tokens and export it\n');
    process.exit(2);
  }
  for (const [name, value] of [['BENCH_RATE', rate], ['BENCH_DURATION', duration], ['BENCH_CONNECTIONS', connections]] as const) {
    if (!Number.isFinite(value) || value <= 0) {
      process.stderr.write(`bench:api: ${name} was "${process.env[name]}": expected a number > 0\n`);
      process.exit(2);
    }
  }
  const probe = await fetch(`${baseUrl}/api/trades?limit=1`, { headers: { authorization: `Bearer ${token}` } }).catch((error: unknown) => {
    process.stderr.write(`bench:api: no server at ${baseUrl} (${error instanceof Error ? error.message : String(error)}); build and start it first\n`);
    process.exit(2);
  });
  if (!probe.ok) {
    process.stderr.write(`bench:api: ${baseUrl}/api/trades answered ${probe.status}: ${await probe.text()}\n`);
    process.exit(2);
  }
  process.stdout.write(`bench:api ${baseUrl}: ${rate} req/s for ${duration} s per target, ${connections} connections\n`);
  let ok = true;
  for (const target of TARGETS) {
    const { ok: targetOk, line } = await bench(target);
    ok &&= targetOk;
    process.stdout.write(`${line}\n`);
  }
  process.exit(ok ? 0 : 1);
}

void main();

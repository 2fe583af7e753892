/**
 * `npm run bench:api`: latency of the journal page and the JSON list endpoints on a running
 * production server (it starts nothing itself) at a steady request rate.
 *
 * Env: BENCH_URL (default http://127.0.0.1:3000), BENCH_TOKEN (a viewer API token, required),
 * BENCH_RATE (requests/s, default 200), BENCH_DURATION (seconds per target, default 15),
 * BENCH_SLOTS (arrival slots per second, default 40), BENCH_WARMUP (seconds of unrecorded load per
 * target first, default 3: the server's JIT warms up), BENCH_TARGETS (comma-separated paths; default
 * the journal page and the list endpoints below).
 *
 * Pacing: autocannon's own rate limit lets every connection send its per-second quota back to
 * back at the start of each second, so "200 req/s over 20 connections" arrives as one burst a
 * second and measures queueing at concurrency 20, not a 200 req/s stream. Here the load is
 * BENCH_RATE keep-alive connections at one request per second each, started in BENCH_SLOTS
 * autocannon instances spread evenly over the second (200 req/s, 40 slots: 5 requests every 25 ms).
 *
 * Prints one `p50 … ms  p95 … ms  p99 … ms` line per target, from every recorded response's
 * latency. Exits 1 when any response was not 2xx.
 */
import autocannon from 'autocannon';

const baseUrl = (process.env.BENCH_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
const token = process.env.BENCH_TOKEN;
const rate = Number(process.env.BENCH_RATE ?? 200);
const duration = Number(process.env.BENCH_DURATION ?? 15);
const slots = Number(process.env.BENCH_SLOTS ?? 40);
const warmup = Number(process.env.BENCH_WARMUP ?? 3);

const DEFAULT_TARGETS = [
  '/api/trades?limit=50',
  '/api/trades?limit=50&sort=pnl',
  '/api/trades?limit=50&symbol=BTC%2FUSDT&outcome=win',
  '/api/decisions?limit=50',
  '/api/decisions?limit=50&outcome=denied',
  // Last: above its capacity the page leaves a backlog that would spill into the next target.
  '/journal',
];
const TARGETS = process.env.BENCH_TARGETS ? process.env.BENCH_TARGETS.split(',').map((t) => t.trim()).filter(Boolean) : DEFAULT_TARGETS;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface Load {
  latencies: number[];
  bad: number;
  errors: number;
}

/**
 * `rate` requests/s for `seconds`: `rate` connections at one request/s each, in `slots` autocannon
 * instances whose start times are spread evenly over the first second.
 */
async function pacedLoad(path: string, seconds: number): Promise<Load> {
  const load: Load = { latencies: [], bad: 0, errors: 0 };
  const slotCount = Math.min(slots, rate);
  const runs: Promise<void>[] = [];
  for (let slot = 0; slot < slotCount; slot++) {
    // Connections per slot: rate split as evenly as integers allow (200/40 = 5 each).
    const connections = Math.floor(((slot + 1) * rate) / slotCount) - Math.floor((slot * rate) / slotCount);
    if (connections === 0) continue;
    runs.push(
      new Promise<void>((resolve) => setTimeout(resolve, (slot * 1000) / slotCount)).then(async () => {
        const instance = autocannon({
          url: `${baseUrl}${path}`,
          headers: { authorization: `Bearer ${token}`, accept: path.startsWith('/api/') ? 'application/json' : 'text/html' },
          connections,
          connectionRate: 1,
          duration: seconds,
        });
        instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
          load.latencies.push(responseTime);
          if (statusCode < 200 || statusCode >= 300) load.bad++;
        });
        const result = await instance;
        load.errors += result.errors + result.timeouts;
      }),
    );
  }
  await Promise.all(runs);
  return load;
}

async function bench(path: string): Promise<{ ok: boolean; line: string }> {
  if (warmup > 0) await pacedLoad(path, warmup);
  const { latencies, bad, errors } = await pacedLoad(path, duration);
  const sorted = latencies.sort((a, b) => a - b);
  const fmt = (v: number) => v.toFixed(1).padStart(7);
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
  for (const [name, value] of [['BENCH_RATE', rate], ['BENCH_DURATION', duration], ['BENCH_SLOTS', slots], ['BENCH_WARMUP', warmup]] as const) {
    const integer = name === 'BENCH_RATE' || name === 'BENCH_SLOTS';
    if (!Number.isFinite(value) || value < (name === 'BENCH_WARMUP' ? 0 : 1e-9) || (integer && !Number.isInteger(value))) {
      process.stderr.write(`bench:api: ${name} was "${process.env[name]}": expected ${integer ? 'an integer' : 'a number'} ${name === 'BENCH_WARMUP' ? '>= 0' : '> 0'}\n`);
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
  // A streamed page that fails while rendering still answers 200 (with the error boundary), so check
  // once that the journal page really renders its table before timing it.
  const page = await fetch(`${baseUrl}/journal`, { headers: { authorization: `Bearer ${token}`, accept: 'text/html' } });
  const html = await page.text();
  if (!page.ok || !html.includes('data-testid="trades-table"')) {
    process.stderr.write(`bench:api: ${baseUrl}/journal answered ${page.status} without the trades table; is the journal empty (seed it with npm run seed:journal) or the page failing (see the server log)?\n`);
    process.exit(2);
  }
  process.stdout.write(`bench:api ${baseUrl}: ${rate} req/s (${Math.min(slots, rate)} arrival slots a second) for ${duration} s per target after ${warmup} s of warm-up\n`);
  let ok = true;
  for (const [index, target] of TARGETS.entries()) {
    // Let the previous target's in-flight requests drain first.
    if (index > 0) await new Promise((resolve) => setTimeout(resolve, 3_000));
    const { ok: targetOk, line } = await bench(target);
    ok &&= targetOk;
    process.stdout.write(`${line}\n`);
  }
  process.exit(ok ? 0 : 1);
}

void main();

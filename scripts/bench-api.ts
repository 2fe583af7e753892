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
 * latency, with the goal it is held to (JSON endpoints p95 < 50 ms, pages p95 < 200 ms). A page
 * that misses its goal at BENCH_RATE is then run at each lower rate of BENCH_PAGE_RATES (default
 * 150,120,100,80,60,40) until it meets it, and the highest rate that does is printed as the page's
 * capacity on this machine. Exits 1 when any response was not 2xx.
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
async function pacedLoad(path: string, seconds: number, rate: number): Promise<Load> {
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

const isApi = (path: string) => path.startsWith('/api/');
/** The p95 goal of a target: JSON endpoints 50 ms, pages 200 ms. */
const goalMs = (path: string) => (isApi(path) ? 50 : 200);

async function bench(path: string, atRate = rate): Promise<{ ok: boolean; met: boolean; line: string }> {
  if (warmup > 0) await pacedLoad(path, warmup, atRate);
  const { latencies, bad, errors } = await pacedLoad(path, duration, atRate);
  const sorted = latencies.sort((a, b) => a - b);
  const fmt = (v: number) => v.toFixed(1).padStart(7);
  const p95 = percentile(sorted, 95);
  const ok = bad === 0 && errors === 0;
  const met = ok && p95 < goalMs(path);
  return {
    ok,
    met,
    line: `${path.padEnd(52)} p50 ${fmt(percentile(sorted, 50))} ms  p95 ${fmt(p95)} ms  p99 ${fmt(percentile(sorted, 99))} ms  (${sorted.length} req, ${(sorted.length / duration).toFixed(0)}/s of ${atRate}/s, non-2xx ${bad}, errors ${errors})  goal p95 < ${goalMs(path)} ms: ${met ? 'met' : 'MISSED'}`,
  };
}

/** Lower rates a page that missed its goal is tried at, highest first. */
function pageRates(): number[] {
  const raw = process.env.BENCH_PAGE_RATES ?? '150,120,100,80,60,40';
  const rates = raw.split(',').map((r) => Number(r.trim()));
  if (rates.some((r) => !Number.isInteger(r) || r < 1)) {
    process.stderr.write(`bench:api: BENCH_PAGE_RATES was "${raw}": expected comma-separated integers >= 1\n`);
    process.exit(2);
  }
  return rates.filter((r) => r < rate).sort((a, b) => b - a);
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
  const lowerRates = pageRates();
  const drain = () => new Promise((resolve) => setTimeout(resolve, 3_000));
  let ok = true;
  for (const [index, target] of TARGETS.entries()) {
    // Let the previous target's in-flight requests drain first.
    if (index > 0) await drain();
    const first = await bench(target);
    ok &&= first.ok;
    process.stdout.write(`${first.line}\n`);
    if (first.met || isApi(target)) continue;
    let capacity: number | null = null;
    for (const lower of lowerRates) {
      await drain();
      const attempt = await bench(target, lower);
      ok &&= attempt.ok;
      process.stdout.write(`${attempt.line}\n`);
      if (attempt.met) {
        capacity = lower;
        break;
      }
    }
    process.stdout.write(
      capacity === null
        ? `${target}: misses p95 < ${goalMs(target)} ms at every rate tried (${[rate, ...lowerRates].join(', ')}/s)\n`
        : `${target}: capacity on this machine ${capacity} req/s with p95 < ${goalMs(target)} ms (tried ${rate}/s first)\n`,
    );
  }
  process.exit(ok ? 0 : 1);
}

void main();

import { describe, expect, it } from 'vitest';
import { createRootHolder, workersOfRole, type Root } from './root';
import { loadConfig, roleRuns } from './config';

function fakeRoot(counters: { starts: number; stops: number }): Root {
  return {
    start: async () => void counters.starts++,
    stop: async () => void counters.stops++,
  } as unknown as Root;
}

describe('composition root holder', () => {
  it('builds and starts once when asked twice, even concurrently', async () => {
    const counters = { builds: 0, starts: 0, stops: 0 };
    const holder = createRootHolder(async () => {
      counters.builds++;
      return fakeRoot(counters);
    });
    const [a, b] = await Promise.all([holder.get(), holder.get()]);
    const c = await holder.get();
    expect(a).toBe(b);
    expect(b).toBe(c);
    expect(counters).toEqual({ builds: 1, starts: 1, stops: 0 });
  });

  it('disposes safely twice and stops the root once', async () => {
    const counters = { builds: 0, starts: 0, stops: 0 };
    const holder = createRootHolder(async () => {
      counters.builds++;
      return fakeRoot(counters);
    });
    await holder.get();
    await holder.dispose();
    await holder.dispose();
    expect(counters.stops).toBe(1);
    await expect(holder.get()).rejects.toThrow('shutting down');
  });

  it('retries a build that failed', async () => {
    let attempts = 0;
    const holder = createRootHolder(async () => {
      attempts++;
      if (attempts === 1) throw new Error('database not reachable');
      return fakeRoot({ starts: 0, stops: 0 });
    });
    await expect(holder.get()).rejects.toThrow('database not reachable');
    await expect(holder.get()).resolves.toBeDefined();
    expect(attempts).toBe(2);
  });
});

describe('configuration', () => {
  it('uses the embedded database under .data by default', () => {
    const config = loadConfig({}, '/srv/app');
    expect(config).toMatchObject({ databaseUrl: undefined, dataDir: '/srv/app/.data', logLevel: 'info', initialBalance: 10_000, marketType: 'spot' });
  });

  it('names the bad variable and what it expects', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x', AETHELRED_INITIAL_BALANCE: '-5' }, '/srv')).toThrow(
      'invalid configuration:\n  DATABASE_URL="mysql://x": expected a postgres:// or postgresql:// URL\n  AETHELRED_INITIAL_BALANCE="-5": expected a positive number',
    );
  });

  it('reads ccxt URL overrides from AETHELRED_CCXT_URLS and refuses a value that is not a JSON map of http(s) URLs', () => {
    const urls = { public: 'http://127.0.0.1:9000/api/v3', fapiPublic: 'http://127.0.0.1:9000/fapi/v1' };
    expect(loadConfig({ AETHELRED_CCXT_URLS: JSON.stringify(urls) }, '/srv').ccxtUrls).toEqual(urls);
    expect(loadConfig({}, '/srv').ccxtUrls).toBeUndefined();
    expect(() => loadConfig({ AETHELRED_CCXT_URLS: 'http://127.0.0.1:9000' }, '/srv')).toThrow(
      'invalid configuration:\n  AETHELRED_CCXT_URLS="http://127.0.0.1:9000": expected a JSON object like {"public":"http://127.0.0.1:9000/api/v3","fapiPublic":"http://127.0.0.1:9000/fapi/v1"}',
    );
    expect(() => loadConfig({ AETHELRED_CCXT_URLS: '{"public":"ftp://x"}' }, '/srv')).toThrow(
      'invalid configuration:\n  AETHELRED_CCXT_URLS="{\\"public\\":\\"ftp://x\\"}": expected an http(s) URL for each key',
    );
  });

  it('reads the candle feed choice (poll by default) and its socket overrides, naming a bad value', () => {
    expect(loadConfig({}, '/srv')).toMatchObject({ candleFeed: 'poll', ccxtWsUrls: undefined });
    const wsUrls = { spot: 'ws://127.0.0.1:9001/ws', 'public.linear': 'wss://stream.example.test/v5/public/linear' };
    expect(loadConfig({ AETHELRED_CANDLE_FEED: 'websocket', AETHELRED_CCXT_WS_URLS: JSON.stringify(wsUrls) }, '/srv')).toMatchObject({ candleFeed: 'websocket', ccxtWsUrls: wsUrls });
    expect(() => loadConfig({ AETHELRED_CANDLE_FEED: 'socket' }, '/srv')).toThrow('invalid configuration:\n  AETHELRED_CANDLE_FEED="socket": expected poll or websocket');
    expect(() => loadConfig({ AETHELRED_CCXT_WS_URLS: '{"spot":"http://x"}' }, '/srv')).toThrow(
      'invalid configuration:\n  AETHELRED_CCXT_WS_URLS="{\\"spot\\":\\"http://x\\"}": expected a ws(s) URL for each key',
    );
  });

  it('fixes the origin Inngest syncs register: AETHELRED_INNGEST_SERVE_ORIGIN, else the public URL of a single process; required outside dev mode where /api/inngest is served', () => {
    const keys = { INNGEST_EVENT_KEY: 'ab'.repeat(32), INNGEST_SIGNING_KEY: 'cd'.repeat(32), DATABASE_URL: 'postgres://127.0.0.1/x' };
    expect(loadConfig({ ...keys, AETHELRED_PUBLIC_URL: 'https://trade.example.com' }, '/srv').inngest?.serveOrigin).toBe('https://trade.example.com');
    expect(loadConfig({ ...keys, AETHELRED_ROLE: 'worker', AETHELRED_PUBLIC_URL: 'https://trade.example.com', AETHELRED_INNGEST_SERVE_ORIGIN: 'http://worker:3000' }, '/srv').inngest?.serveOrigin).toBe('http://worker:3000');
    // A web process does not serve /api/inngest (it answers 404 there); dev mode registers as the dev server asks.
    expect(loadConfig({ ...keys, AETHELRED_ROLE: 'web' }, '/srv').inngest?.serveOrigin).toBeUndefined();
    expect(loadConfig({ INNGEST_DEV: '1' }, '/srv').inngest?.serveOrigin).toBeUndefined();
    // The public URL of a split deployment is the proxy in front of the web servers, not the worker.
    expect(() => loadConfig({ ...keys, AETHELRED_ROLE: 'worker', AETHELRED_PUBLIC_URL: 'https://trade.example.com' }, '/srv')).toThrow(
      'invalid configuration:\n  AETHELRED_INNGEST_SERVE_ORIGIN=(unset): required when a worker process serves /api/inngest outside dev mode (INNGEST_DEV): the origin the Inngest server reaches it at, e.g. http://worker:3000; without it a sync would register whatever Host the request named',
    );
    expect(() => loadConfig(keys, '/srv')).toThrow(
      'invalid configuration:\n  AETHELRED_INNGEST_SERVE_ORIGIN=(unset): required when an all process serves /api/inngest outside dev mode (INNGEST_DEV): the origin the Inngest server reaches it at, e.g. http://worker:3000 (or set AETHELRED_PUBLIC_URL); without it a sync would register whatever Host the request named',
    );
    expect(() => loadConfig({ ...keys, AETHELRED_INNGEST_SERVE_ORIGIN: 'http://worker:3000/api/inngest' }, '/srv')).toThrow(
      'invalid configuration:\n  AETHELRED_INNGEST_SERVE_ORIGIN="http://worker:3000/api/inngest": expected an origin like http://worker:3000 (no path)',
    );
  });
});

describe('server action form input', () => {
  it('keeps repeated checkbox values as an array and drops Next action keys', async () => {
    const { formDataToObject } = await import('./auth/gate');
    const form = new FormData();
    form.append('$ACTION_ID_abc', '');
    form.append('symbol', 'BTC/USDT');
    form.append('strategies', 'ma-crossover');
    form.append('strategies', 'ema-trend');
    form.append('strategies', 'donchian-breakout');
    expect(formDataToObject(form)).toEqual({ symbol: 'BTC/USDT', strategies: ['ma-crossover', 'ema-trend', 'donchian-breakout'] });
  });
});


describe('process roles (AETHELRED_ROLE)', () => {
  const workers = { notifications: ['notifier', 'watcher'], control: ['control-listener'], jobs: ['job-runner', 'job-scheduler'], sessions: ['live-sessions'], strategyFiles: ['strategy-watcher'] };

  it('runs everything in one process by default', () => {
    expect(loadConfig({}, '/srv').role).toBe('all');
    expect(workersOfRole('all', workers)).toEqual(['notifier', 'watcher', 'control-listener', 'job-runner', 'job-scheduler', 'live-sessions', 'strategy-watcher']);
  });

  it('gives a web process neither jobs nor sessions, a trader the sessions and a worker the jobs', () => {
    expect(workersOfRole('web', workers)).toEqual(['notifier', 'watcher', 'control-listener', 'strategy-watcher']);
    expect(workersOfRole('trader', workers)).toEqual(['notifier', 'watcher', 'control-listener', 'live-sessions', 'strategy-watcher']);
    expect(workersOfRole('worker', workers)).toEqual(['notifier', 'watcher', 'control-listener', 'job-runner', 'job-scheduler', 'strategy-watcher']);
    expect(roleRuns('web')).toEqual({ jobs: false, sessions: false });
    expect(roleRuns('trader')).toEqual({ jobs: false, sessions: true });
    expect(roleRuns('worker')).toEqual({ jobs: true, sessions: false });
  });

  it('refuses a role that does not exist, naming the variable and the value', () => {
    expect(() => loadConfig({ AETHELRED_ROLE: 'scheduler', DATABASE_URL: 'postgres://127.0.0.1/x' }, '/srv')).toThrow(
      'invalid configuration:\n  AETHELRED_ROLE="scheduler": expected one of all, web, trader, worker',
    );
  });

  it('refuses a split role on the embedded database, which serves one process', () => {
    expect(() => loadConfig({ AETHELRED_ROLE: 'trader' }, '/srv')).toThrow(
      'invalid configuration:\n  AETHELRED_ROLE="trader": a trader process shares one PostgreSQL database with the other roles; set DATABASE_URL (the embedded database serves one process: use AETHELRED_ROLE=all)',
    );
    expect(loadConfig({ AETHELRED_ROLE: 'trader', DATABASE_URL: 'postgres://127.0.0.1/x' }, '/srv').role).toBe('trader');
  });
});

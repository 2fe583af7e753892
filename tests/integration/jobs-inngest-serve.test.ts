/**
 * The Inngest endpoint at the HTTP level: the `serve()` handler built exactly as the composition
 * root builds it (app/_server/jobs.ts, production mode with a signing key), called with real
 * `Request` objects. Records what inngest 4 actually answers.
 */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildJobs } from '../../app/_server/jobs';
import { createManualClock, silentLogger } from '../../engine/core/clock';
import type { TrainHandlerDeps } from '../../engine/ml/train-handlers';
import type { BacktestResult } from '../../engine/backtest/run-backtest';
import { createPaperExchange } from '../../engine/execution/paper-exchange';
import { DEFAULT_PAPER } from '../../engine/backtest/run-backtest';
import { createInMemoryCandleRepository, createInMemoryJournalRepository } from '../../engine/testing/in-memory-repositories';
import type { Db } from '../../db/client';

const SIGNING_KEY = 'signkey-test-0123456789abcdef0123456789abcdef';
const URL_BASE = 'http://localhost:3000/api/inngest';

const SERVE_ORIGIN = 'http://worker:3000';

function buildHandler() {
  const clock = createManualClock(1_704_067_200_000);
  const jobs = buildJobs(
    { inngest: { eventKey: 'test-event-key', signingKey: SIGNING_KEY, baseUrl: 'http://127.0.0.1:1', isDev: false, serveOrigin: SERVE_ORIGIN } },
    {
      db: {} as Db, // never queried: no request here reaches a job body
      clock,
      logger: silentLogger,
      journal: createInMemoryJournalRepository(),
      exchange: createPaperExchange({ ...DEFAULT_PAPER, marketType: 'spot', initialBalance: 10_000 }, { clock }),
      newId: () => 'id-1',
      runBacktest: async () => ({}) as BacktestResult,
      checkStrategy: async () => {
        throw new Error('never used: no request here reaches a job body');
      },
      training: {} as TrainHandlerDeps, // never used: no request here reaches a job body
      marketData: { candles: createInMemoryCandleRepository(), openCandleSource: () => { throw new Error('never used: no request here reaches a job body'); } },
    },
  );
  if (!jobs.inngest) throw new Error('expected Inngest mode');
  return jobs.inngest;
}

/** Inngest's request signature: HMAC-SHA256 over body + timestamp, keyed with the key minus its prefix. */
function sign(body: string, timestampSeconds: number, key: string): string {
  const mac = createHmac('sha256', key.replace(/^signkey-[a-z]+-/, '')).update(body).update(String(timestampSeconds)).digest('hex');
  return `t=${timestampSeconds}&s=${mac}`;
}

describe('Inngest serve endpoint', () => {
  const inngest = buildHandler();

  it('serves one function per registered job kind', () => {
    expect(inngest.functionIds).toEqual([
      'job-backtest',
      'job-download-candles',
      'job-strategy-check',
      'job-study',
      'job-train-intent-veto',
      'job-train-regime',
      'job-train-volatility',
      'job-train-stop-distance',
      'job-daily-snapshot',
      'job-rollover',
    ]);
  });

  it('answers a signed GET introspection with the function count and mode, and refuses an unsigned one (401)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const signed = await inngest.handler(new Request(URL_BASE, { headers: { 'x-inngest-signature': sign('', now, SIGNING_KEY) } }), undefined);
    const body = (await signed.json()) as Record<string, unknown>;
    expect(signed.status).toBe(200);
    // 10 job functions (one per definition), each with its onFailure handler registered as a function of its own.
    expect(body).toMatchObject({
      app_id: 'aethelred',
      function_count: 20,
      mode: 'cloud',
      authentication_succeeded: true,
      has_signing_key: true,
      has_event_key: true,
      framework: 'nextjs',
      api_origin: 'http://127.0.0.1:1',
    });
    const unsigned = await inngest.handler(new Request(URL_BASE), undefined);
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toEqual({ message: 'Unauthorized' });
  });

  it('refuses a step call with a wrong signature (401), and one with none (401)', async () => {
    const body = JSON.stringify({ event: { name: 'aethelred/job.requested', data: { ticketId: 't-1', kind: 'rollover' } } });
    const now = Math.floor(Date.now() / 1000);
    const wrong = await inngest.handler(
      new Request(`${URL_BASE}?fnId=aethelred-job-rollover&stepId=step`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-inngest-signature': sign(body, now, 'signkey-test-ffffffffffffffffffffffffffffffff') },
      }),
      undefined,
    );
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ message: 'Unauthorized' });
    const unsigned = await inngest.handler(
      new Request(`${URL_BASE}?fnId=aethelred-job-rollover&stepId=step`, { method: 'POST', body, headers: { 'content-type': 'application/json' } }),
      undefined,
    );
    expect(unsigned.status).toBe(401);
  });

  it('refuses a signature older than the replay window (401)', async () => {
    const body = JSON.stringify({ event: { name: 'aethelred/job.requested', data: { ticketId: 't-1', kind: 'rollover' } } });
    const response = await inngest.handler(
      new Request(`${URL_BASE}?fnId=aethelred-job-rollover&stepId=step`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-inngest-signature': sign(body, 1_700_000_000, SIGNING_KEY) },
      }),
      undefined,
    );
    expect(response.status).toBe(401);
  });

  describe('sync (PUT)', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    /** Records what the SDK sends to the Inngest server's register endpoint, answering as a server would. */
    const recordRegistrations = () => {
      const sent: { url: string; body: Record<string, unknown> }[] = [];
      vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
        sent.push({ url: String(input), body: JSON.parse(String(init?.body ?? '{}')) as Record<string, unknown> });
        return Response.json({ ok: true, modified: true });
      });
      return sent;
    };

    it('refuses an unsigned PUT (401) without registering anything, whatever Host it names', async () => {
      const sent = recordRegistrations();
      const fresh = buildHandler();
      const response = await fresh.handler(new Request('http://attacker.example/api/inngest', { method: 'PUT', headers: { host: 'attacker.example' } }), undefined);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({
        error: {
          code: 'unauthorized:auth',
          message: 'an Inngest sync (PUT /api/inngest) must carry an X-Inngest-Signature header outside dev mode (INNGEST_DEV); sync from the Inngest server or dashboard',
        },
      });
      expect(sent).toEqual([]);
    });

    it('registers the configured serve origin and /api/inngest, never the Host or path of the request', async () => {
      const sent = recordRegistrations();
      const fresh = buildHandler();
      // An out-of-band sync: the SDK does not check its signature, so the header alone lets it through.
      const response = await fresh.handler(
        new Request('http://attacker.example/elsewhere?x=1', { method: 'PUT', headers: { host: 'attacker.example', 'x-inngest-signature': 't=1&s=00' } }),
        undefined,
      );
      expect(response.status).toBe(200);
      expect(sent).toHaveLength(1);
      expect(sent[0]!.url).toMatch(/^http:\/\/127\.0\.0\.1:1\/fn\/register/);
      expect(new URL(String(sent[0]!.body.url)).origin).toBe(SERVE_ORIGIN);
      expect(new URL(String(sent[0]!.body.url)).pathname).toBe('/api/inngest');
    });
  });
});

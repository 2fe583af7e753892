/**
 * Webhooks end to end: the real route handler (through the gate) against a PGlite-backed
 * root, plus the receiver with a counting job queue to prove refused deliveries enqueue
 * nothing. Signatures are computed independently here with node:crypto.
 */
import { createHmac, randomUUID } from 'node:crypto';
import path from 'node:path';
import { count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhook } from '../../app/admin/actions';
import { GATE } from '../../app/_server/auth/gate';
import { receiveWebhook, webhookActivateRefusal, webhookJobKindRefusal, webhookReplayKey, WEBHOOK_MAX_BODY_BYTES, type Enqueue } from '../../app/_server/auth/webhook-receiver';
import { POST } from '../../app/api/webhooks/[id]/route';
import { decisionLog, tickets, webhookDeliveries } from '../../db/schema';
import { createAuthTestRoot, TEST_ORIGIN, type AuthTestRoot } from '../support/auth-test-root';

let t: AuthTestRoot;
let adminCookie: string;

const sign = (secret: string, timestamp: string, body: string) => `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
const nowS = () => String(Math.floor(Date.now() / 1000));

function webhookRequest(id: string, body: string, opts: { secret: string; timestamp?: string; deliveryId?: string; signature?: string }): Request {
  const timestamp = opts.timestamp ?? nowS();
  return new Request(`${TEST_ORIGIN}/api/webhooks/${id}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-aethelred-timestamp': timestamp,
      'x-aethelred-delivery': opts.deliveryId ?? randomUUID(),
      'x-aethelred-signature': opts.signature ?? sign(opts.secret, timestamp, body),
    },
    body,
  });
}

const post = (id: string, request: Request) => POST[GATE].run(t.root, request, { id });

async function newWebhook(kind: 'alert' | 'job'): Promise<{ id: string; secret: string }> {
  const result = await createWebhook[GATE].run(t.root, new Headers({ cookie: adminCookie }), { name: `test ${kind}`, kind });
  if (!result.ok) throw new Error(JSON.stringify(result));
  const data = result.data as { webhookId: string; secret: string };
  return { id: data.webhookId, secret: data.secret };
}

async function decisionCount(): Promise<number> {
  const rows = await t.root.database.db.select({ n: count() }).from(decisionLog);
  return Number(rows[0].n);
}

async function deliveriesOf(webhookId: string) {
  return t.root.database.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, webhookId));
}

const ALERT = JSON.stringify({ symbol: 'BTC/USDT', side: 'buy', strategy: 'tv-breakout', strength: 0.8, price: 42000 });

beforeAll(async () => {
  t = await createAuthTestRoot();
  adminCookie = (await t.signedInAs('admin')).cookie;
  await t.root.engine.importCandles({ file: path.resolve('tests/fixtures/btc-usdt-5m-small.csv'), key: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' } });
});

afterAll(async () => {
  await t?.close();
});

describe('alert webhooks through the route handler', () => {
  it('accepts a correctly signed alert with 202 and journals it as a signal decision', async () => {
    const hook = await newWebhook('alert');
    const before = await decisionCount();
    const response = await post(hook.id, webhookRequest(hook.id, ALERT, { secret: hook.secret, deliveryId: 'd-good' }));
    expect(response.status).toBe(202);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'accepted', deliveryId: 'd-good', outcome: 'signal' });
    expect(await decisionCount()).toBe(before + 1);
    const [decision] = await t.root.database.db.select().from(decisionLog).where(eq(decisionLog.id, body.ticketId as string));
    // An alert naming no account is the default account's (its overview and journal list it).
    expect(decision).toMatchObject({ symbol: 'BTC/USDT', exchange: 'binance', timeframe: '5m', strategy: 'tv-breakout', side: 'long', strength: 0.8, outcome: 'signal', accountId: 'default' });
    // The delivery, and the signature record that answers a replay of the same signed request under another delivery id.
    const rows = (await deliveriesOf(hook.id)).sort((a, b) => (a.deliveryId ?? '').localeCompare(b.deliveryId ?? ''));
    expect(rows).toMatchObject([
      { deliveryId: 'd-good', status: 'accepted', httpStatus: 202, ticketId: body.ticketId },
      { deliveryId: expect.stringMatching(/^signed:sha256:[0-9a-f]{64}$/), status: 'accepted', httpStatus: 202, ticketId: body.ticketId, response: body },
    ]);
    // The Webhooks page lists the delivery once, as the sender sent it (the signature record is internal).
    expect((await t.root.auth.webhooks.listDeliveries({ webhookId: hook.id })).map((d) => [d.deliveryId, d.status])).toEqual([['d-good', 'accepted']]);
  });

  it("names the account whose session receives an alert: a malformed id is refused with 400, an unknown account's alert is denied", async () => {
    const hook = await newWebhook('alert');
    const before = await decisionCount();
    const malformed = await post(hook.id, webhookRequest(hook.id, JSON.stringify({ ...JSON.parse(ALERT), account: 'Swing Desk' }), { secret: hook.secret }));
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { message: string } }).error.message).toBe('invalid alert payload: account: expected an account id like "default"');
    expect(await decisionCount()).toBe(before);
    const unknown = await post(hook.id, webhookRequest(hook.id, JSON.stringify({ ...JSON.parse(ALERT), account: 'ghost-desk' }), { secret: hook.secret }));
    expect(unknown.status).toBe(202);
    const body = (await unknown.json()) as { ticketId: string; outcome: string; reason: string };
    expect(body).toMatchObject({ outcome: 'denied', reason: 'account "ghost-desk" does not exist: name an account listed on /accounts (or none, for "default")' });
    const [decision] = await t.root.database.db.select().from(decisionLog).where(eq(decisionLog.id, body.ticketId));
    expect(decision).toMatchObject({ outcome: 'denied', accountId: null, inputs: { account: 'ghost-desk', external: true } });
  });

  it('refuses a bad signature with 401, journals nothing and stores the refusal', async () => {
    const hook = await newWebhook('alert');
    const before = await decisionCount();
    const response = await post(hook.id, webhookRequest(hook.id, ALERT, { secret: 'not-the-secret' }));
    expect(response.status).toBe(401);
    expect(await decisionCount()).toBe(before);
    expect(await deliveriesOf(hook.id)).toMatchObject([{ status: 'refused', httpStatus: 401, reason: 'the signature does not match' }]);
  });

  it('refuses a correctly signed request whose timestamp is more than five minutes old', async () => {
    const hook = await newWebhook('alert');
    const before = await decisionCount();
    const stale = String(Math.floor(Date.now() / 1000) - 301);
    const response = await post(hook.id, webhookRequest(hook.id, ALERT, { secret: hook.secret, timestamp: stale }));
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain('more than 5 minutes');
    expect(await decisionCount()).toBe(before);
  });

  it('answers a repeated delivery id with the same status and body and journals nothing new', async () => {
    const hook = await newWebhook('alert');
    const first = await post(hook.id, webhookRequest(hook.id, ALERT, { secret: hook.secret, deliveryId: 'd-replay' }));
    const firstBody = await first.json();
    const afterFirst = await decisionCount();
    const second = await post(hook.id, webhookRequest(hook.id, ALERT, { secret: hook.secret, deliveryId: 'd-replay' }));
    expect(second.status).toBe(first.status);
    expect(await second.json()).toEqual(firstBody);
    expect(second.headers.get('x-aethelred-replay')).toBe('true');
    expect(await decisionCount()).toBe(afterFirst);
    expect((await deliveriesOf(hook.id)).length).toBe(2); // the delivery and its signature record: the repeat stores nothing
  });

  it('answers a captured signed alert resent under another delivery id inside the window from storage, and journals it once', async () => {
    const hook = await newWebhook('alert');
    const timestamp = nowS();
    const signature = sign(hook.secret, timestamp, ALERT);
    const before = await decisionCount();
    const first = await post(hook.id, webhookRequest(hook.id, ALERT, { secret: hook.secret, timestamp, signature, deliveryId: 'd-captured' }));
    expect(first.status).toBe(202);
    const firstBody = (await first.json()) as Record<string, unknown>;
    expect(firstBody).toMatchObject({ status: 'accepted', deliveryId: 'd-captured', outcome: 'signal' });
    expect(await decisionCount()).toBe(before + 1);
    for (const deliveryId of ['d-forged-1', 'd-forged-2']) {
      const replay = await post(hook.id, webhookRequest(hook.id, ALERT, { secret: hook.secret, timestamp, signature, deliveryId }));
      expect(replay.status).toBe(202);
      expect(replay.headers.get('x-aethelred-replay')).toBe('true');
      expect(await replay.json()).toEqual(firstBody);
    }
    expect(await decisionCount()).toBe(before + 1);
    const rows = await deliveriesOf(hook.id);
    expect(rows.map((r) => r.deliveryId).sort()).toEqual(['d-captured', webhookReplayKey(timestamp, ALERT)]);
  });

  it('refuses a body over 64 KiB with 413', async () => {
    const hook = await newWebhook('alert');
    const before = await decisionCount();
    const big = JSON.stringify({ symbol: 'BTC/USDT', side: 'buy', strategy: 'x', pad: 'a'.repeat(WEBHOOK_MAX_BODY_BYTES) });
    const response = await post(hook.id, webhookRequest(hook.id, big, { secret: hook.secret }));
    expect(response.status).toBe(413);
    expect(await decisionCount()).toBe(before);
  });

  it('refuses signed malformed JSON with 400', async () => {
    const hook = await newWebhook('alert');
    const before = await decisionCount();
    const response = await post(hook.id, webhookRequest(hook.id, '{"symbol": "BTC/USDT",', { secret: hook.secret }));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe('the body is not valid JSON');
    expect(await decisionCount()).toBe(before);
  });

  it('answers 404 for an unknown webhook id and stores no delivery', async () => {
    const before = await decisionCount();
    const response = await post('no-such-hook', webhookRequest('no-such-hook', ALERT, { secret: 'x' }));
    expect(response.status).toBe(404);
    expect(await deliveriesOf('no-such-hook')).toEqual([]);
    expect(await decisionCount()).toBe(before);
  });

  it('journals an alert for an unknown market as a denied decision', async () => {
    const hook = await newWebhook('alert');
    const response = await post(hook.id, webhookRequest(hook.id, JSON.stringify({ symbol: 'DOGE/USDT', side: 'sell', strategy: 'tv' }), { secret: hook.secret }));
    expect(response.status).toBe(202);
    const body = (await response.json()) as { ticketId: string; outcome: string; reason: string };
    expect(body.outcome).toBe('denied');
    expect(body.reason).toBe('Market "DOGE/USDT" is not known: no candles are stored for it');
    const [decision] = await t.root.database.db.select().from(decisionLog).where(eq(decisionLog.id, body.ticketId));
    expect(decision).toMatchObject({ outcome: 'denied', side: 'short', reason: body.reason });
  });

  it('journals an alert as denied while risk has halted trading', async () => {
    const hook = await newWebhook('alert');
    await t.root.database.db.execute(
      // Halt the default account the way the risk engine persists it.
      sql`insert into risk_state (account_id, halted, halt_reason, halted_at_ms, day_start_equity, day_start_ms, peak_equity, updated_at_ms)
        values ('default', true, 'daily loss limit reached', 1, 10000, 1, 10000, 1)
        on conflict (account_id) do update set halted = true, halt_reason = 'daily loss limit reached'`,
    );
    try {
      const response = await post(hook.id, webhookRequest(hook.id, ALERT, { secret: hook.secret }));
      expect(response.status).toBe(202);
      const body = (await response.json()) as { ticketId: string; outcome: string; reason: string };
      expect(body).toMatchObject({ outcome: 'denied', reason: 'trading is halted: daily loss limit reached' });
      const [decision] = await t.root.database.db.select().from(decisionLog).where(eq(decisionLog.id, body.ticketId));
      expect(decision.outcome).toBe('denied');
    } finally {
      await t.root.database.db.execute(sql`delete from risk_state where account_id = 'default'`);
    }
  });
});

describe('job webhooks through the route handler', () => {
  const ticketCount = async () => Number((await t.root.database.db.select({ n: count() }).from(tickets))[0].n);

  it('enqueues one job ticket for a signed delivery and none for its replay', async () => {
    const hook = await newWebhook('job');
    const before = await ticketCount();
    const body = JSON.stringify({ job: 'backtest', params: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', from: '2024-01-01', to: '2024-01-02', strategies: ['ema-trend'] } });
    const first = await post(hook.id, webhookRequest(hook.id, body, { secret: hook.secret, deliveryId: 'job-route-1' }));
    expect(first.status).toBe(202);
    const firstBody = (await first.json()) as { ticketId: string };
    expect(await ticketCount()).toBe(before + 1);
    const [ticket] = await t.root.database.db.select().from(tickets).where(eq(tickets.id, firstBody.ticketId));
    expect(ticket.kind).toBe('backtest');
    const replay = await post(hook.id, webhookRequest(hook.id, body, { secret: hook.secret, deliveryId: 'job-route-1' }));
    expect(await replay.json()).toEqual(firstBody);
    expect(await ticketCount()).toBe(before + 1);
  });

  it('refuses a maintenance job kind (rollover deletes decision history, daily-snapshot writes the account history) with 403 naming the field and the kinds a webhook may start, and writes no ticket', async () => {
    const hook = await newWebhook('job');
    const before = await ticketCount();
    for (const job of ['rollover', 'daily-snapshot']) {
      const response = await post(hook.id, webhookRequest(hook.id, JSON.stringify({ job, params: {} }), { secret: hook.secret, deliveryId: `maint-${job}` }));
      expect({ status: response.status, body: await response.json() }).toEqual({
        status: 403,
        body: {
          error: {
            code: 'forbidden:auth',
            message: `field "job" was "${job}": a webhook cannot start this job (it runs on its schedule or from the app); a webhook may start backtest, download-candles, strategy-check, study, train-intent-veto, train-regime, train-volatility, train-stop-distance`,
          },
        },
      });
    }
    expect(await ticketCount()).toBe(before);
    expect((await deliveriesOf(hook.id)).map((r) => [r.deliveryId, r.status, r.httpStatus]).sort()).toEqual([
      ['maint-daily-snapshot', 'refused', 403],
      ['maint-rollover', 'refused', 403],
    ]);
    expect(webhookJobKindRefusal('backtest')).toBeNull();
  });

  it('refuses an unknown job kind with 400 and writes no ticket', async () => {
    const hook = await newWebhook('job');
    const before = await ticketCount();
    const response = await post(hook.id, webhookRequest(hook.id, JSON.stringify({ job: 'no-such-job', params: {} }), { secret: hook.secret }));
    expect(response.status).toBe(400);
    expect(await ticketCount()).toBe(before);
    // Refused by the queue after the delivery was claimed: the delivery and its signature record are both released.
    const rows = (await deliveriesOf(hook.id)).sort((a, b) => Number(a.deliveryId?.startsWith('signed:')) - Number(b.deliveryId?.startsWith('signed:')));
    expect(rows).toMatchObject([
      { status: 'refused', httpStatus: 400, reason: expect.stringContaining('field "kind" was "no-such-job"') },
      { deliveryId: expect.stringMatching(/^signed:sha256:/), status: 'refused', httpStatus: 400, reason: expect.stringMatching(/^signature record of delivery ".+", released: the delivery was refused$/) },
    ]);
  });

  it('refuses a backtest job whose params the backtest request schema refuses (a misspelt setting), before any ticket is written', async () => {
    const hook = await newWebhook('job');
    const before = await ticketCount();
    const params = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', from: '2024-01-01', to: '2024-01-02', strategies: ['ema-trend'] };
    const refusals: [Record<string, unknown>, string][] = [
      [{ ...params, paper: { initalBalance: 5000 } }, 'field "params.paper.initalBalance" was 5000: not a paper setting; expected one of marketType, quoteCurrency, initialBalance, makerFeeBps, takerFeeBps, spreadBps, slippageBps, maxVolumeShare, leverage, marginMode, tiers'],
      [{ ...params, strategy: 'ema-trend' }, 'field "params.strategy" was "ema-trend": unknown field'],
      [{ ...params, risk: { maxLeverage: 'high' } }, 'field "params.risk.maxLeverage" was "high": Invalid input: expected number, received string'],
    ];
    for (const [jobParams, message] of refusals) {
      const response = await post(hook.id, webhookRequest(hook.id, JSON.stringify({ job: 'backtest', params: jobParams }), { secret: hook.secret }));
      expect({ status: response.status, body: await response.json() }).toEqual({ status: 400, body: { error: { code: 'bad_request:input', message } } });
    }
    expect(await ticketCount()).toBe(before);
  });

  it('refuses a training job with params.activate true (deploying is admin-only) with 403 and writes no ticket; without activate it is queued', async () => {
    const hook = await newWebhook('job');
    const before = await ticketCount();
    const params = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', from: '2024-01-01', to: '2024-01-02' };
    const refused = await post(hook.id, webhookRequest(hook.id, JSON.stringify({ job: 'train-regime', params: { ...params, activate: true } }), { secret: hook.secret, deliveryId: 'train-activate' }));
    expect({ status: refused.status, body: await refused.json() }).toEqual({
      status: 403,
      body: {
        error: {
          code: 'forbidden:auth',
          message:
            'field "params.activate" was true: a webhook cannot deploy a model (deploying needs the "admin" role). Send the job without "activate" (or with false), then deploy the trained version from the Models page as an admin after review',
        },
      },
    });
    expect(await ticketCount()).toBe(before);
    expect(await deliveriesOf(hook.id)).toMatchObject([{ deliveryId: 'train-activate', status: 'refused', httpStatus: 403, reason: webhookActivateRefusal(true) }]);

    const queued = await post(hook.id, webhookRequest(hook.id, JSON.stringify({ job: 'train-regime', params }), { secret: hook.secret }));
    expect(queued.status).toBe(202);
    const { ticketId } = (await queued.json()) as { ticketId: string };
    expect(await ticketCount()).toBe(before + 1);
    const [ticket] = await t.root.database.db.select().from(tickets).where(eq(tickets.id, ticketId));
    expect(ticket.kind).toBe('train-regime');
    expect(ticket.params).toMatchObject({ activate: false });
  });
});

describe('job webhooks with a counting queue', () => {
  function receiver(enqueue: Enqueue | undefined) {
    return (id: string, request: Request) =>
      receiveWebhook(
        {
          webhooks: t.root.auth.webhooks,
          secretBox: t.root.auth.secretBox,
          submitSignal: () => Promise.reject(new Error('not used')),
          enqueue,
          nowMs: () => Date.now(),
          newId: () => randomUUID(),
          logger: t.root.logger,
        },
        id,
        request,
      );
  }

  it('enqueues a signed job once, answers its replay from storage and enqueues nothing for refused requests', async () => {
    const hook = await newWebhook('job');
    const jobs: unknown[] = [];
    const receive = receiver(async (job) => {
      jobs.push(job);
      return `ticket-${jobs.length}`;
    });
    const body = JSON.stringify({ job: 'backtest', params: { symbol: 'BTC/USDT' } });
    const accepted = await receive(hook.id, webhookRequest(hook.id, body, { secret: hook.secret, deliveryId: 'job-1' }));
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toEqual({ status: 'accepted', ticketId: 'ticket-1', deliveryId: 'job-1' });
    const replay = await receive(hook.id, webhookRequest(hook.id, body, { secret: hook.secret, deliveryId: 'job-1' }));
    expect(replay.status).toBe(202);
    expect(await replay.json()).toEqual({ status: 'accepted', ticketId: 'ticket-1', deliveryId: 'job-1' });

    const refused = [
      await receive(hook.id, webhookRequest(hook.id, body, { secret: 'wrong' })),
      await receive(hook.id, webhookRequest(hook.id, body, { secret: hook.secret, timestamp: String(Math.floor(Date.now() / 1000) - 600) })),
      await receive(hook.id, webhookRequest(hook.id, `{"job":"x","pad":"${'a'.repeat(WEBHOOK_MAX_BODY_BYTES)}"}`, { secret: hook.secret })),
      await receive(hook.id, webhookRequest(hook.id, 'not json', { secret: hook.secret })),
      await receive(hook.id, webhookRequest(hook.id, JSON.stringify({ params: {} }), { secret: hook.secret })),
      await receive('unknown-hook', webhookRequest('unknown-hook', body, { secret: hook.secret })),
    ].map((r) => r.status);
    expect(refused).toEqual([401, 401, 413, 400, 400, 404]);
    expect(jobs).toEqual([{ kind: 'backtest', params: { symbol: 'BTC/USDT' } }]);
  });

  it('enqueues nothing for a validly signed rollover or daily-snapshot (403), and an allowed kind from the same webhook still runs', async () => {
    const hook = await newWebhook('job');
    const { jobs, receive } = countingQueue();
    for (const job of ['rollover', 'daily-snapshot']) {
      const response = await receive(hook.id, webhookRequest(hook.id, JSON.stringify({ job, params: { retentionDays: 0 } }), { secret: hook.secret }));
      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(new RegExp(`^field "job" was "${job}": a webhook cannot start this job`));
    }
    expect(jobs).toEqual([]);
    const allowed = await receive(hook.id, webhookRequest(hook.id, JSON.stringify({ job: 'backtest', params: { symbol: 'BTC/USDT' } }), { secret: hook.secret }));
    expect(allowed.status).toBe(202);
    expect(jobs).toEqual([{ kind: 'backtest', params: { symbol: 'BTC/USDT' } }]);
  });

  it('answers 501 naming the missing job queue when the engine has none', async () => {
    const hook = await newWebhook('job');
    const response = await receiver(undefined)(hook.id, webhookRequest(hook.id, JSON.stringify({ job: 'train', params: {} }), { secret: hook.secret }));
    expect(response.status).toBe(501);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain('engine.enqueue is missing');
  });
  function countingQueue() {
    const jobs: { kind: string; params: Record<string, unknown> }[] = [];
    const enqueue: Enqueue = async (job) => {
      jobs.push(job);
      return `ticket-${jobs.length}`;
    };
    return { jobs, receive: receiver(enqueue) };
  }

  it('enqueues a captured signed job once whatever delivery id it is resent under, and a re-signed retry of the same delivery id once too', async () => {
    const hook = await newWebhook('job');
    const { jobs, receive } = countingQueue();
    const body = JSON.stringify({ job: 'strategy-check', params: {} });
    const timestamp = String(Math.floor(Date.now() / 1000) - 30);
    const signature = sign(hook.secret, timestamp, body);
    const first = await receive(hook.id, webhookRequest(hook.id, body, { secret: hook.secret, timestamp, signature, deliveryId: 'cap-1' }));
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ status: 'accepted', ticketId: 'ticket-1', deliveryId: 'cap-1' });
    for (const deliveryId of ['cap-2', 'cap-3', randomUUID()]) {
      const replay = await receive(hook.id, webhookRequest(hook.id, body, { secret: hook.secret, timestamp, signature, deliveryId }));
      expect({ status: replay.status, replayHeader: replay.headers.get('x-aethelred-replay'), body: await replay.json() }).toEqual({
        status: 202,
        replayHeader: 'true',
        body: { status: 'accepted', ticketId: 'ticket-1', deliveryId: 'cap-1' },
      });
    }
    // The sender's own retry, re-signed with a fresh timestamp under the same delivery id, is still a duplicate.
    const retry = await receive(hook.id, webhookRequest(hook.id, body, { secret: hook.secret, deliveryId: 'cap-1' }));
    expect(retry.status).toBe(202);
    expect(retry.headers.get('x-aethelred-replay')).toBe('true');
    expect(jobs).toEqual([{ kind: 'strategy-check', params: {} }]);
    // A new delivery (newly signed, new id) of the same job still runs: the normal path.
    const next = await receive(hook.id, webhookRequest(hook.id, body, { secret: hook.secret, timestamp: String(Number(timestamp) + 1), deliveryId: 'cap-next' }));
    expect(next.status).toBe(202);
    expect(await next.json()).toEqual({ status: 'accepted', ticketId: 'ticket-2', deliveryId: 'cap-next' });
    expect(jobs).toHaveLength(2);
    // Nothing stored for the replays: two deliveries, each with its signature record.
    expect((await deliveriesOf(hook.id)).map((r) => r.deliveryId).sort()).toEqual(
      ['cap-1', 'cap-next', webhookReplayKey(timestamp, body), webhookReplayKey(String(Number(timestamp) + 1), body)].sort(),
    );
  });

  it('enqueues the same signed job once when it arrives concurrently under several delivery ids', async () => {
    const hook = await newWebhook('job');
    const { jobs, receive } = countingQueue();
    const body = JSON.stringify({ job: 'strategy-check', params: {} });
    const timestamp = nowS();
    const signature = sign(hook.secret, timestamp, body);
    const responses = await Promise.all(
      ['race-1', 'race-2', 'race-3', 'race-4', 'race-5'].map((deliveryId) => receive(hook.id, webhookRequest(hook.id, body, { secret: hook.secret, timestamp, signature, deliveryId }))),
    );
    expect(jobs).toHaveLength(1);
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 202).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 202 || s === 409)).toBe(true);
    expect((await deliveriesOf(hook.id)).filter((r) => r.status === 'accepted')).toHaveLength(2);
  });

  it('refuses params.activate true (any job kind, any value but false) with 403 naming the field, enqueues nothing and keeps the delivery id free', async () => {
    const hook = await newWebhook('job');
    const { jobs, receive } = countingQueue();
    const params = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', from: '2024-01-01', to: '2024-07-01' };
    for (const [job, activate] of [['train-intent-veto', true], ['train-volatility', 'true'], ['backtest', true]] as const) {
      const response = await receive(hook.id, webhookRequest(hook.id, JSON.stringify({ job, params: { ...params, activate } }), { secret: hook.secret, deliveryId: `act-${job}` }));
      expect({ status: response.status, body: await response.json() }).toEqual({ status: 403, body: { error: { code: 'forbidden:auth', message: webhookActivateRefusal(activate) } } });
    }
    expect(webhookActivateRefusal('true')).toBe(
      'field "params.activate" was "true": a webhook cannot deploy a model (deploying needs the "admin" role). Send the job without "activate" (or with false), then deploy the trained version from the Models page as an admin after review',
    );
    expect(jobs).toEqual([]);
    // The same delivery id without activate is then accepted (the refusal claimed nothing).
    const ok = await receive(hook.id, webhookRequest(hook.id, JSON.stringify({ job: 'train-intent-veto', params: { ...params, activate: false } }), { secret: hook.secret, deliveryId: 'act-train-intent-veto' }));
    expect(ok.status).toBe(202);
    expect(jobs).toEqual([{ kind: 'train-intent-veto', params: { ...params, activate: false } }]);
  });

  it('releases the delivery id and the signature record when enqueueing fails, so the same signed request runs on retry', async () => {
    const hook = await newWebhook('job');
    const jobs: unknown[] = [];
    let fail = true;
    const receive = receiver(async (job) => {
      if (fail) throw new Error('queue down');
      jobs.push(job);
      return `ticket-${jobs.length}`;
    });
    const body = JSON.stringify({ job: 'strategy-check', params: {} });
    const timestamp = nowS();
    const signature = sign(hook.secret, timestamp, body);
    const failed = await receive(hook.id, webhookRequest(hook.id, body, { secret: hook.secret, timestamp, signature, deliveryId: 'flaky-1' }));
    expect(failed.status).toBe(500);
    fail = false;
    const retried = await receive(hook.id, webhookRequest(hook.id, body, { secret: hook.secret, timestamp, signature, deliveryId: 'flaky-1' }));
    expect(retried.status).toBe(202);
    const again = await receive(hook.id, webhookRequest(hook.id, body, { secret: hook.secret, timestamp, signature, deliveryId: 'flaky-2' }));
    expect(again.headers.get('x-aethelred-replay')).toBe('true');
    expect(jobs).toHaveLength(1);
  });
});

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
import { receiveWebhook, WEBHOOK_MAX_BODY_BYTES, type Enqueue } from '../../app/_server/auth/webhook-receiver';
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
    expect(await deliveriesOf(hook.id)).toMatchObject([{ deliveryId: 'd-good', status: 'accepted', httpStatus: 202, ticketId: body.ticketId }]);
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
    expect((await deliveriesOf(hook.id)).length).toBe(1);
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
    const body = JSON.stringify({ job: 'daily-snapshot', params: {} });
    const first = await post(hook.id, webhookRequest(hook.id, body, { secret: hook.secret, deliveryId: 'job-route-1' }));
    expect(first.status).toBe(202);
    const firstBody = (await first.json()) as { ticketId: string };
    expect(await ticketCount()).toBe(before + 1);
    const [ticket] = await t.root.database.db.select().from(tickets).where(eq(tickets.id, firstBody.ticketId));
    expect(ticket.kind).toBe('daily-snapshot');
    const replay = await post(hook.id, webhookRequest(hook.id, body, { secret: hook.secret, deliveryId: 'job-route-1' }));
    expect(await replay.json()).toEqual(firstBody);
    expect(await ticketCount()).toBe(before + 1);
  });

  it('refuses an unknown job kind with 400 and writes no ticket', async () => {
    const hook = await newWebhook('job');
    const before = await ticketCount();
    const response = await post(hook.id, webhookRequest(hook.id, JSON.stringify({ job: 'no-such-job', params: {} }), { secret: hook.secret }));
    expect(response.status).toBe(400);
    expect(await ticketCount()).toBe(before);
    expect(await deliveriesOf(hook.id)).toMatchObject([{ status: 'refused', httpStatus: 400 }]);
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

  it('answers 501 naming the missing job queue when the engine has none', async () => {
    const hook = await newWebhook('job');
    const response = await receiver(undefined)(hook.id, webhookRequest(hook.id, JSON.stringify({ job: 'train', params: {} }), { secret: hook.secret }));
    expect(response.status).toBe(501);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain('engine.enqueue is missing');
  });
});

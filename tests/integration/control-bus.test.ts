/**
 * The control bus on the real PostgreSQL (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test):
 * two composition roots on one database and schema, as two servers would run. A halt sent through
 * server A's API reaches a slow replay session running in server B before its next candle, and B
 * acknowledges it; a stop of B's session sent to A stops it at once; after B's listening connection
 * is killed (pg_terminate_backend) B reconnects and re-reads state, so a halt whose notification it
 * never heard is honoured; a malformed notification is logged and ignored.
 * The PGlite transport (one connection, LISTEN/NOTIFY inside it) is checked at the bus level.
 * An unreachable PostgreSQL fails this suite; it is never skipped.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waveCsv } from '../../engine/testing/wave-candles';
import { smaCrossRule } from '../../engine/testing/sma-cross-pair';
import { createControlBus } from '../../engine/control/control-bus';
import { ControlKind, type ControlMessage } from '../../engine/ports/control-bus';
import type { Logger } from '../../engine/core/logger';
import { controlChannelOf, createDatabase } from '../../db/client';
import { apiV1Client, type ApiV1Client } from '../support/api-v1-client';
import { AUTH_TEST_BACKENDS, createAuthTestRoot, type AuthTestRoot } from '../support/auth-test-root';
import { POSTGRES_URL } from '../support/ml-databases';
import { until as waitUntil } from '../support/until';

const T0 = Date.UTC(2024, 0, 1);
const TF = 300_000;
/** Replay speed, candles per second: one candle every 4 s, so "before the next candle" is observable. */
const SPEED = 0.25;
const CANDLE_GAP_MS = 1_000 / SPEED;
const SESSION_ID = 'replay:default:binance:BTC/USDT:5m';

const until = (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000) => waitUntil(what, check, timeoutMs, 20);

/** A logger that keeps what it is given (warn lines are what the malformed-payload check reads). */
function capturingLogger() {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (obj: object, msg = '') => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

describe('the control bus between two servers on PostgreSQL', { timeout: 120_000 }, () => {
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const backend = AUTH_TEST_BACKENDS.find((b) => b.name === 'PostgreSQL')!;
  const env = {
    ...backend.env(schema),
    // Both servers share the secrets, as README "one database, several servers" asks.
    AETHELRED_AUTH_SECRET: randomBytes(32).toString('hex'),
    AETHELRED_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  };
  let a: AuthTestRoot;
  let b: AuthTestRoot;
  let trader: ApiV1Client;
  let sql: postgres.Sql;

  /** B's session state (it runs in B only). */
  const sessionInB = async () => (await b.root.engine.getLiveSession(SESSION_ID))?.state ?? null;
  /** B's account runtime as the session trades it: read without re-reading the database. */
  const haltedInB = async () => (await b.root.engine.accounts.runtime('default')).risk.engine().isHalted();
  const acksOf = async (kind: string) =>
    (await sql.unsafe(`select message_id, process_id, kind, outcome, detail, at_ms from "${schema}".control_acks where kind = $1 order by at_ms`, [kind])) as unknown as {
      message_id: string;
      process_id: string;
      outcome: string;
      detail: string;
      at_ms: string;
    }[];
  /** Backends listening on this schema's control channel (A's and B's). */
  const listenerPids = async () =>
    ((await sql.unsafe(`select pid from pg_stat_activity where datname = current_database() and query ilike $1`, [`listen "${controlChannelOf(schema)}"`])) as unknown as { pid: number }[]).map((r) => r.pid).sort();

  /** Waits for B to finish a candle, then returns at once: the next one is CANDLE_GAP_MS away. */
  async function justAfterACandle(): Promise<number> {
    const before = (await sessionInB())!.candlesProcessed;
    await until('a candle in B', async () => (await sessionInB())!.candlesProcessed > before, 3 * CANDLE_GAP_MS);
    return (await sessionInB())!.candlesProcessed;
  }

  beforeAll(async () => {
    sql = postgres(POSTGRES_URL, { max: 1, onnotice: () => undefined });
    a = await createAuthTestRoot(env);
    b = await createAuthTestRoot(env);
    trader = apiV1Client(a.root, { cookie: (await a.signedInAs('trader')).cookie });
    const imported = await trader.call('importCandles', { query: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' }, body: waveCsv({ count: 1_000, phase: 0, base: 100, startMs: T0, timeframeMs: TF }) });
    expect(imported.status).toBe(200);
    await b.root.engine.startLiveSession({
      accountId: 'default',
      mode: 'replay',
      exchange: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '5m',
      strategies: ['ma-crossover'],
      params: { 'ma-crossover': { fastPeriod: 3, slowPeriod: 8 } },
      from: T0 + 400 * TF,
      speed: SPEED,
      veto: 'off',
    });
    await until('B processing candles', async () => ((await sessionInB())?.candlesProcessed ?? 0) >= 1);
  }, 120_000);

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await sql?.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await sql?.end();
  });

  it('forwards an outside alert received by server A to the session of its market in server B, which acknowledges it', async () => {
    const result = await a.root.engine.submitExternalSignal({ symbol: 'BTCUSDT', side: 'long', strength: 0.8, strategy: 'tv-breakout', source: 'webhook:test' });
    expect(result).toMatchObject({
      outcome: 'signal',
      reason: `external signal handed to live session ${SESSION_ID}: it acts at the next candle close through fusion, the veto and the risk gate`,
    });
    await until('B to take the alert', async () => (await acksOf(ControlKind.ExternalAlert)).length > 0, CANDLE_GAP_MS);
    expect(await acksOf(ControlKind.ExternalAlert)).toEqual([expect.objectContaining({ process_id: b.root.control.bus.processId, outcome: 'applied', detail: `alert handed to session ${SESSION_ID}` })]);
    // An alert naming another account is not forwarded to this account's session: that account runs none of the market.
    await a.root.engine.accounts.create({ id: 'desk', name: 'Desk', marketType: 'spot', initialBalance: 10_000 }, 'test');
    const other = await a.root.engine.submitExternalSignal({ symbol: 'BTCUSDT', side: 'long', strength: 0.8, strategy: 'tv-breakout', source: 'webhook:test', account: 'desk' });
    expect(other).toMatchObject({ outcome: 'signal', reason: 'external signal recorded; no live session of account "desk" trades BTC/USDT, so nothing acts on it' });
    expect(await acksOf(ControlKind.ExternalAlert)).toHaveLength(1);
  });

  it('delivers a halt sent to server A to the replay session in server B before its next candle, and B acknowledges it', async () => {
    expect(await haltedInB()).toBe(false);
    const processed = await justAfterACandle();
    const sentAtMs = Date.now();
    const halted = await trader.call('haltAccount', { path: { id: 'default' }, body: { reason: 'desk review' } });
    expect(halted.status).toBe(200);
    await until('B to acknowledge the halt', async () => (await acksOf(ControlKind.Halt)).length > 0, CANDLE_GAP_MS);
    const [ack] = await acksOf(ControlKind.Halt);
    expect(await haltedInB()).toBe(true);
    // Adopted from the notification, not by the session's own check before a candle: no candle ran since.
    expect((await sessionInB())!.candlesProcessed).toBe(processed);
    expect(Number(ack.at_ms) - sentAtMs).toBeLessThan(CANDLE_GAP_MS);
    expect(ack).toMatchObject({ process_id: b.root.control.bus.processId, outcome: 'applied', detail: `risk state re-read for "default"; sessions here: ${SESSION_ID}` });
    expect((await b.root.engine.accounts.runtime('default')).risk.engine().state()).toMatchObject({ halted: true, haltReason: 'manual: desk review' });
    // A is the sender: it acted before sending and does not acknowledge its own message.
    expect((await acksOf(ControlKind.Halt)).map((r) => r.process_id)).toEqual([b.root.control.bus.processId]);
  });

  it('re-reads state when the listening connection comes back, so a halt whose notification was lost is honoured', async () => {
    const resumed = await trader.call('resumeAccount', { path: { id: 'default' }, body: { reason: 'reviewed' } });
    expect(resumed.status).toBe(200);
    await until('B to adopt the resume', async () => !(await haltedInB()), CANDLE_GAP_MS);
    const pidsBefore = await listenerPids();
    expect(pidsBefore).toHaveLength(2);
    await justAfterACandle();
    // B stores the account (and its risk state) right after each candle; let that write land first.
    await new Promise((r) => setTimeout(r, 500));
    const processed = (await sessionInB())!.candlesProcessed;
    // In one statement: kill both listening connections and store a halt with no NOTIFY (a lost notification).
    await sql.unsafe(
      `with killed as (select pg_terminate_backend(pid) from pg_stat_activity where pid = any($1::int[]))
       update "${schema}".risk_state set halted = true, halt_reason = 'manual: while disconnected', halted_at_ms = $2, updated_at_ms = $2
       where account_id = 'default' and (select count(*) from killed) = 2`,
      [pidsBefore, Date.now()],
    );
    await until('B to re-read after reconnecting', () => haltedInB(), CANDLE_GAP_MS);
    expect((await sessionInB())!.candlesProcessed).toBe(processed);
    expect((await b.root.engine.accounts.runtime('default')).risk.engine().state()).toMatchObject({ halted: true, haltReason: 'manual: while disconnected' });
    const pidsAfter = await listenerPids();
    expect(pidsAfter).toHaveLength(2);
    expect(pidsAfter.filter((pid) => pidsBefore.includes(pid))).toEqual([]);
  });

  it('adopts risk limits stored without any message at the session\'s next candle in server B', async () => {
    const inB = async () => (await b.root.engine.accounts.runtime('default')).risk.engine().config;
    expect((await inB()).maxOpenPositions).not.toBe(7);
    const processed = await justAfterACandle();
    // Stored as a save from another process would store it, with no NOTIFY at all (a lost settings-changed).
    await sql.unsafe(`update "${schema}".trading_accounts set risk_limits = coalesce(risk_limits, '{}'::jsonb) || '{"maxOpenPositions": 7}'::jsonb, updated_at_ms = $1, updated_by = 'elsewhere' where id = 'default'`, [Date.now()]);
    await until('B to adopt the stored limits', async () => (await inB()).maxOpenPositions === 7, 3 * CANDLE_GAP_MS);
    // At its sync before a candle, not from a message: a candle ran since.
    expect((await sessionInB())!.candlesProcessed).toBeGreaterThan(processed);
    expect((await trader.call('getAccount', { path: { id: 'default' } })).body.risk.limits.maxOpenPositions).toBe(7);
  });

  it("carries out a manual order and a force exit sent to server A on B's copy of the account, and B's next candles keep them", async () => {
    const resumed = await trader.call('resumeAccount', { path: { id: 'default' }, body: { reason: 'reviewed again' } });
    expect(resumed.status).toBe(200);
    await until('B to adopt the resume', async () => !(await haltedInB()), CANDLE_GAP_MS);
    // A market B's session does not trade, priced at its last stored close.
    const eth = await trader.call('importCandles', { query: { exchange: 'binance', symbol: 'ETH/USDT', timeframe: '5m' }, body: waveCsv({ count: 200, phase: 1, base: 50, startMs: T0, timeframeMs: TF }) });
    expect(eth.status).toBe(200);
    const [{ close }] = (await sql.unsafe(`select close from "${schema}".candles where symbol = 'ETH/USDT' order by open_time_ms desc limit 1`)) as unknown as { close: string }[];
    const price = Number(close);
    const placed = await trader.call('placeAccountOrder', { path: { id: 'default' }, body: { symbol: 'ETH/USDT', side: 'long', price, stopPrice: price - 1 } });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const filled = placed.body.entry!.filled;
    expect(filled).toBeGreaterThan(0);
    // B carried it out on the copy its session trades; A, which serves the request, runs no session and acknowledges nothing.
    const [ack] = await acksOf(ControlKind.AccountCommand);
    expect(ack).toMatchObject({ process_id: b.root.control.bus.processId, outcome: 'applied' });
    const inB = async () => (await b.root.engine.accounts.runtime('default')).exchange();
    expect((await inB()).positionAmountSigned('ETH/USDT')).toBeCloseTo(filled, 12);
    // After B's next candle (its store after the candle), the account as stored still holds the position and its stop.
    await justAfterACandle();
    await new Promise((r) => setTimeout(r, 500));
    const stored = await trader.call('getAccount', { path: { id: 'default' } });
    expect(stored.body.positions).toEqual([expect.objectContaining({ symbol: 'ETH/USDT', side: 'long', amount: filled })]);
    expect(stored.body.openOrders).toEqual(expect.arrayContaining([expect.objectContaining({ symbol: 'ETH/USDT', type: 'stop', stopPrice: price - 1, reduceOnly: true })]));
    // A force exit sent to A closes it on B; B's next candle keeps it closed.
    const closed = await trader.call('closeAccountPosition', { path: { id: 'default' }, body: { symbol: 'ETH/USDT' } });
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    expect((await inB()).positionAmountSigned('ETH/USDT')).toBe(0);
    await justAfterACandle();
    await new Promise((r) => setTimeout(r, 500));
    const after = await trader.call('getAccount', { path: { id: 'default' } });
    expect(after.body.positions.filter((p: { symbol: string }) => p.symbol === 'ETH/USDT')).toEqual([]);
    expect((await acksOf(ControlKind.AccountCommand)).map((r) => [r.process_id, r.outcome])).toEqual([
      [b.root.control.bus.processId, 'applied'],
      [b.root.control.bus.processId, 'applied'],
    ]);
  });

  it("makes a rule strategy saved through server A (a new name, then version 2) what server B's catalog lists and builds, and B acknowledges each save", async () => {
    const rule = (fast: number, slow: number) => smaCrossRule('bus-sma-cross', fast, slow);
    expect((await trader.call('createRuleStrategy', { body: rule(10, 30) })).status).toBe(201);
    await until('B lists the new rule strategy', () => b.root.engine.describeStrategies().some((d) => d.name === 'bus-sma-cross' && d.version === '1'));
    expect((await trader.call('updateRuleStrategy', { path: { name: 'bus-sma-cross' }, body: rule(5, 20) })).status).toBe(200);
    await until('B builds version 2', () => b.root.engine.strategies.get('bus-sma-cross')?.version === '2');
    expect(b.root.engine.strategies.create('bus-sma-cross', undefined).features.sma).toEqual([5, 20]);
    await until('B acknowledged both saves', async () => (await acksOf('strategies-changed')).filter((ack) => ack.process_id === b.root.control.bus.processId).length === 2);
    expect((await acksOf('strategies-changed')).filter((ack) => ack.process_id === b.root.control.bus.processId).map((ack) => [ack.outcome, ack.detail])).toEqual([
      ['applied', 'rule strategies reloaded: bus-sma-cross v1'],
      ['applied', 'rule strategies reloaded: bus-sma-cross v2'],
    ]);
  });

  it('ignores a malformed notification with a log line and keeps delivering', async () => {
    const { logger, lines } = capturingLogger();
    const database = await createDatabase({ url: POSTGRES_URL, dataDir: tmpdir(), schema });
    try {
      const bus = createControlBus({ transport: database.notifications(controlChannelOf(schema)), clock: { nowMs: () => Date.now() }, logger, processId: 'probe', newId: () => randomUUID() });
      const received: ControlMessage[] = [];
      const unsubscribe = await bus.subscribe({ onMessage: async (m) => void received.push(m), onConnect: async () => undefined });
      const channel = controlChannelOf(schema);
      await sql`select pg_notify(${channel}, 'not json')`;
      await sql`select pg_notify(${channel}, ${JSON.stringify({ id: 'm1', origin: 'x', sentAtMs: 1, kind: 'launch-rockets' })})`;
      await sql`select pg_notify(${channel}, ${JSON.stringify({ id: 'm2', origin: 'x', sentAtMs: 1, kind: 'halt' })})`;
      const sent = await bus.publish({ kind: ControlKind.Resume, accountId: 'nobody' });
      await until('the valid message', async () => received.length > 0, 5_000);
      expect(received).toEqual([{ id: sent.id, origin: 'probe', sentAtMs: sent.sentAtMs, kind: 'resume', accountId: 'nobody' }]);
      const warnings = lines.filter((l) => l.level === 'warn').map((l) => [l.msg, l.obj.reason]);
      expect(warnings).toEqual([
        ['control bus: ignored a malformed message', 'not JSON'],
        [
          'control bus: ignored a malformed message',
          "bad command: kind: Invalid discriminator value. Expected 'halt' | 'resume' | 'stop-session' | 'settings-changed' | 'model-deployed' | 'strategies-changed' | 'external-alert' | 'account-command'",
        ],
        ['control bus: ignored a malformed message', 'bad command: accountId: Invalid input: expected string, received undefined'],
      ]);
      await unsubscribe();
    } finally {
      await database.close();
    }
    // B heard the same garbage and still acts: a stop sent to A stops B's session at once.
    const stopAsked = Date.now();
    const stop = await trader.call('stopSession', { path: { id: SESSION_ID } });
    expect(stop.status).toBe(200);
    await until('B to stop its session', async () => (await b.root.engine.getLiveSession(SESSION_ID))?.status === 'stopped', CANDLE_GAP_MS);
    // The ack is written once the stop is done, just after the session reads stopped.
    await until('B to acknowledge the stop', async () => (await acksOf(ControlKind.StopSession)).length > 0, CANDLE_GAP_MS);
    const [ack] = await acksOf(ControlKind.StopSession);
    expect(ack).toMatchObject({ process_id: b.root.control.bus.processId, outcome: 'applied', detail: `session ${SESSION_ID} stopped` });
    expect(Number(ack.at_ms) - stopAsked).toBeLessThan(CANDLE_GAP_MS);
  });
});

describe('the control bus on PGlite (LISTEN/NOTIFY inside its one connection)', () => {
  it('delivers a published message to a subscriber and runs the connect re-read once', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'aethelred-control-'));
    const database = await createDatabase({ dataDir });
    try {
      const { logger } = capturingLogger();
      const bus = createControlBus({ transport: database.notifications(controlChannelOf(database.schema)), clock: { nowMs: () => 1_700_000_000_000 }, logger, processId: 'p1', newId: () => 'id-1' });
      const received: ControlMessage[] = [];
      let connects = 0;
      const unsubscribe = await bus.subscribe({ onMessage: async (m) => void received.push(m), onConnect: async () => void connects++ });
      await bus.publish({ kind: ControlKind.StopSession, sessionId: 's1' });
      await until('the message', async () => received.length > 0, 5_000);
      expect(received).toEqual([{ id: 'id-1', origin: 'p1', sentAtMs: 1_700_000_000_000, kind: 'stop-session', sessionId: 's1' }]);
      expect(connects).toBe(1);
      await unsubscribe();
    } finally {
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

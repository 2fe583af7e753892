import { describe, expect, it } from 'vitest';
import { createManualClock, silentLogger, type Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import { createInMemoryAccountRepository, createInMemoryCandleRepository, createInMemoryRiskStateRepository, createInMemorySettingsRepository } from '../testing/in-memory-repositories';
import { createAccountBook, type AccountBook } from '../account/account-book';
import type { AccountSettingsInput } from '../account/account-config';
import { createControlBus, createInMemoryControlAckStore, createInMemoryNotifyHub, parseControlMessage } from './control-bus';
import { createControlListener } from './control-listener';
import { ControlKind, type ControlAlert, type ControlBus, type ControlMessage } from '../ports/control-bus';
import { VALUE_AT_RISK_DEFAULTS } from '../risk/risk-engine';
import type { JournalWriter } from '../ports/journal-writer';
import type { DecisionRecord } from '../ports/journal';
import { toColumns } from '../testing/in-memory-repositories';
import { NotFoundError, ValidationError } from '../core/errors';
import { AccountHolderUnavailableError } from '../account/account-forwarding';

const T0 = Date.UTC(2024, 0, 1);
const LIMITS = { maxLeverage: 3, maxLossPctEquityPerTrade: 2, riskPerTradePct: 1, maxSymbolExposurePct: 100, maxOpenPositions: 3, atrStopMultiple: 2, dailyLossLimitPct: 5, maxDrawdownPct: 25, feeRateBps: 0, ...VALUE_AT_RISK_DEFAULTS };
const FUTURES: AccountSettingsInput = { name: 'Futures', marketType: 'futures', initialBalance: 10_000, makerFeeBps: 2, takerFeeBps: 5, spreadBps: 0, slippageBps: 0, leverage: 5, maxVolumeShare: 1 };

/** Lets queued microtasks and the listener's awaits run. */
const settle = () => new Promise((r) => setTimeout(r, 5));

function capturingLogger() {
  const warnings: { obj: Record<string, unknown>; msg: string }[] = [];
  const logger: Logger = { ...silentLogger, warn: (obj, msg = '') => void warnings.push({ obj: obj as Record<string, unknown>, msg }) };
  return { logger, warnings };
}

/** Two processes over shared stores, each with its own account book, bus and listener on one in-memory hub. */
function twoProcesses() {
  const riskState = createInMemoryRiskStateRepository();
  const stores = { riskState, accounts: createInMemoryAccountRepository(riskState), settings: createInMemorySettingsRepository(), candles: createInMemoryCandleRepository() };
  const hub = createInMemoryNotifyHub();
  const acks = createInMemoryControlAckStore();
  let seq = 0;
  const proc = (
    name: string,
    clock: Clock,
    sessions?: Parameters<typeof createControlListener>[0]['sessions'],
    forwarding?: { holders: { accountHolder(accountId: string): Promise<string | null> }; leaseOwner?: string; forwardTimeoutMs?: number; journal?: JournalWriter },
  ) => {
    const transport = hub.transport();
    const bus: ControlBus = createControlBus({ transport, clock, logger: silentLogger, processId: name, newId: () => `m${++seq}` });
    const accounts: AccountBook = createAccountBook({
      clock,
      logger: silentLogger,
      ...stores,
      defaultRiskLimits: async () => ({ ...LIMITS }),
      control: bus,
      ...(forwarding ? { holders: forwarding.holders, ...(forwarding.leaseOwner ? { leaseOwner: forwarding.leaseOwner } : {}), acks, forwardTimeoutMs: forwarding.forwardTimeoutMs, journal: forwarding.journal, newId: () => `d${++seq}` } : {}),
    });
    const listener = createControlListener({ bus, acks, clock, logger: silentLogger, accounts, sessions });
    return { bus, accounts, listener, transport };
  };
  return { proc, acks, stores };
}

describe('parseControlMessage', () => {
  it('accepts each kind and names what is wrong with a malformed payload', () => {
    const envelope = { id: 'm1', origin: 'p', sentAtMs: 5 };
    expect(parseControlMessage(JSON.stringify({ ...envelope, kind: 'halt', accountId: null }))).toEqual({ ok: true, message: { ...envelope, kind: 'halt', accountId: null } });
    expect(parseControlMessage(JSON.stringify({ ...envelope, kind: 'model-deployed', modelKind: 'intent-veto', version: 3 }))).toEqual({
      ok: true,
      message: { ...envelope, kind: 'model-deployed', modelKind: 'intent-veto', version: 3 },
    });
    expect(parseControlMessage('{"id":')).toEqual({ ok: false, reason: 'not JSON' });
    expect(parseControlMessage(JSON.stringify({ kind: 'halt', accountId: 'a' }))).toEqual({ ok: false, reason: 'bad envelope: id: Invalid input: expected string, received undefined' });
    expect(parseControlMessage(JSON.stringify({ ...envelope, kind: 'model-deployed', modelKind: 'x', version: 0 }))).toEqual({ ok: false, reason: 'bad command: version: Too small: expected number to be >0' });
    expect(parseControlMessage(JSON.stringify({ ...envelope, kind: 'stop-session', sessionId: 's', extra: 1 }))).toMatchObject({ ok: false, reason: expect.stringContaining('bad command') });
  });
});

describe('the control bus over the in-memory hub', () => {
  it('refuses to publish a malformed command naming the field, and stamps a valid one with id, origin and time', async () => {
    const hub = createInMemoryNotifyHub();
    const bus = createControlBus({ transport: hub.transport(), clock: createManualClock(T0), logger: silentLogger, processId: 'p', newId: () => 'm' });
    await expect(bus.publish({ kind: ControlKind.StopSession, sessionId: '' })).rejects.toThrow(/field "sessionId"/);
    await expect(bus.publish({ kind: ControlKind.ExternalAlert, sessionId: 's', alert: { symbol: 'BTC/USDT', side: 'long', strength: 2, stopHint: null } })).rejects.toThrow(/field "alert.strength"/);
    expect(await bus.publish({ kind: ControlKind.Halt, accountId: null })).toEqual({ id: 'm', origin: 'p', sentAtMs: T0, kind: 'halt', accountId: null });
  });

  it('logs and skips a malformed payload, and a subscriber that throws keeps its subscription', async () => {
    const hub = createInMemoryNotifyHub();
    const { logger, warnings } = capturingLogger();
    const transport = hub.transport();
    const bus = createControlBus({ transport, clock: createManualClock(T0), logger, processId: 'p', newId: () => 'm' });
    const seen: ControlMessage[] = [];
    await bus.subscribe({
      async onMessage(m) {
        seen.push(m);
        if (seen.length === 1) throw new Error('handler bug');
      },
      onConnect: async () => undefined,
    });
    await transport.notify('garbage');
    await bus.publish({ kind: ControlKind.Resume, accountId: 'a' });
    await bus.publish({ kind: ControlKind.Resume, accountId: 'b' });
    await settle();
    expect(warnings).toEqual([{ msg: 'control bus: ignored a malformed message', obj: { process: 'p', reason: 'not JSON', payload: 'garbage' } }]);
    expect(seen.map((m) => m.kind === ControlKind.Resume && m.accountId)).toEqual(['a', 'b']);
  });
});

describe('the control listener', () => {
  it('adopts a halt sent by another process at once and acknowledges it; the sender does not acknowledge its own message', async () => {
    const { proc, acks } = twoProcesses();
    const clockA = createManualClock(T0);
    const clockB = createManualClock(T0 + 7);
    const a = proc('A', clockA);
    const b = proc('B', clockB, { runningHere: (id) => (id === 'shared' ? ['replay:shared:binance:BTC/USDT:5m'] : []), stopHere: async () => false, stopRequested: async () => [], routeHere: () => false });
    await a.listener.start();
    await b.listener.start();
    await a.accounts.create({ id: 'shared', ...FUTURES }, 'alice');
    const inB = await b.accounts.runtime('shared');
    clockA.set(T0 + 1_000);
    await a.accounts.halt('shared', 'news at 14:00');
    await settle();
    // No syncControl call here: the listener re-read the stored halt when the message arrived.
    expect(inB.risk.engine().state()).toMatchObject({ halted: true, haltReason: 'manual: news at 14:00' });
    const [ack, ...others] = await acks.list('m1');
    expect(others).toEqual([]);
    expect(ack).toEqual({ messageId: 'm1', processId: 'B', kind: 'halt', outcome: 'applied', detail: 'risk state re-read for "shared"; sessions here: replay:shared:binance:BTC/USDT:5m', atMs: T0 + 7 });
    await b.listener.stop();
    await a.listener.stop();
  });

  it('re-reads every loaded account when the connection comes back, so a halt whose message was lost is honoured', async () => {
    const { proc } = twoProcesses();
    const clockA = createManualClock(T0);
    const a = proc('A', clockA);
    const b = proc('B', createManualClock(T0));
    await b.listener.start();
    await a.accounts.create({ id: 'shared', ...FUTURES }, 'alice');
    const inB = await b.accounts.runtime('shared');
    b.transport.disconnected = true;
    clockA.set(T0 + 1_000);
    await a.accounts.halt('shared', 'while B was away');
    await settle();
    expect(inB.risk.engine().isHalted()).toBe(false);
    b.transport.reconnect();
    await settle();
    expect(inB.risk.engine().state()).toMatchObject({ halted: true, haltReason: 'manual: while B was away' });
    await b.listener.stop();
  });

  it('stops a session and routes an alert only in the process that runs it, and reloads changed account settings', async () => {
    const { proc, acks } = twoProcesses();
    const stopped: string[] = [];
    const routed: [string, ControlAlert][] = [];
    const a = proc('A', createManualClock(T0));
    const b = proc('B', createManualClock(T0 + 3), {
      runningHere: () => ['s1'],
      stopHere: async (id) => (id === 's1' ? (stopped.push(id), true) : false),
      stopRequested: async () => [],
      routeHere: (id, alert) => (id === 's1' ? (routed.push([id, alert]), true) : false),
    });
    await b.listener.start();
    await a.bus.publish({ kind: ControlKind.StopSession, sessionId: 's1' });
    await a.bus.publish({ kind: ControlKind.StopSession, sessionId: 'not-here' });
    const alert: ControlAlert = { exchange: 'binance', symbol: 'BTC/USDT', side: 'short', strength: 0.5, stopHint: null };
    await a.bus.publish({ kind: ControlKind.ExternalAlert, sessionId: 's1', alert });
    await a.accounts.create({ id: 'shared', ...FUTURES }, 'alice');
    const inB = await b.accounts.runtime('shared');
    const updated = await a.accounts.update('shared', { risk: { ...LIMITS, maxOpenPositions: 1 } }, 'alice');
    expect(updated.ok).toBe(true);
    await settle();
    expect(stopped).toEqual(['s1']);
    expect(routed).toEqual([['s1', alert]]);
    expect((await acks.list('m1')).map((x) => x.detail)).toEqual(['session s1 stopped']);
    expect(await acks.list('m2')).toEqual([]);
    expect((await acks.list('m3')).map((x) => x.detail)).toEqual(['alert handed to session s1']);
    expect((await acks.list('m4')).map((x) => [x.kind, x.detail])).toEqual([['settings-changed', 'account "shared" reloaded']]);
    expect(inB.risk.engine().config.maxOpenPositions).toBe(1);
    await b.listener.stop();
  });
});

describe('manual orders and force exits on a paper account whose sessions run in another process', () => {
  /** A journal writer that keeps the decisions (the manual order's and the force exit's). */
  function keptJournal() {
    const decisions: DecisionRecord[] = [];
    const journal = { recordDecision: (d: DecisionRecord) => void decisions.push(d), recordTrade: () => undefined, flush: async () => undefined } as unknown as JournalWriter;
    return { journal, decisions };
  }

  it("are carried out by the holder on its copy, which it stores: the sender's copy neither trades nor writes", async () => {
    const { proc, acks, stores } = twoProcesses();
    await stores.candles.insertCandles({ exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1m' }, toColumns([{ openTimeMs: T0, open: 100, high: 100, low: 100, close: 100, volume: 1_000 }]));
    const heldBy = { current: 'B' as string | null };
    const holders = { accountHolder: async () => heldBy.current };
    const kept = keptJournal();
    const a = proc('A', createManualClock(T0), undefined, { holders, journal: kept.journal });
    const b = proc('B', createManualClock(T0), { runningHere: () => ['s1'], stopHere: async () => false, stopRequested: async () => [], routeHere: () => false }, { holders: { accountHolder: async () => null }, journal: kept.journal });
    await b.listener.start();
    await a.accounts.create({ id: 'desk', ...FUTURES, leverage: 2 }, 'alice');
    // B runs a session of the account: it holds the account's runtime (its one writer).
    const inB = await b.accounts.runtime('desk');
    const release = inB.acquire();
    // A had loaded the account before (its copy is older than B's from now on).
    const inA = await a.accounts.runtime('desk');

    const placed = await a.accounts.placeOrder('desk', { symbol: 'BTC/USDT', side: 'long', price: 100, stopPrice: 98 }, 'bob');
    // Sized in B by its risk engine: 1 % of 10,000 at the stop 2 below (fees included), margined at the account's 2x.
    expect(placed.reason).toBeNull();
    expect(placed.outcome).toBe('placed');
    expect(inB.exchange().positionAmountSigned('BTC/USDT')).toBeCloseTo(placed.entry!.filled, 12);
    // By hand: loss per unit at the stop = 2 + taker fees 5 bps of 100 and of 98 = 2.099; 100 / 2.099 units.
    expect(placed.entry!.filled).toBeCloseTo(100 / 2.099, 9);
    expect(inA.exchange().positionAmountSigned('BTC/USDT')).toBe(0);
    const [ack] = (await acks.list('m1')).filter((x) => x.kind === ControlKind.AccountCommand);
    expect(ack).toMatchObject({ processId: 'B', outcome: 'applied' });
    // B stored it; A reads the account as stored (re-read: B wrote since A loaded it).
    const view = await a.accounts.view('desk');
    expect(view.positions).toEqual([expect.objectContaining({ symbol: 'BTC/USDT', side: 'long', amount: placed.entry!.filled })]);
    expect(view.openOrders).toEqual([expect.objectContaining({ type: 'stop', stopPrice: 98, reduceOnly: true })]);
    expect(kept.decisions.map((d) => [d.outcome, d.reason])).toEqual([['executed', 'manual long by bob']]);

    // An error in B comes back as the same error here: field, value and message.
    const far = a.accounts.placeOrder('desk', { symbol: 'BTC/USDT', side: 'long', price: 110, stopPrice: 98 }, 'bob');
    await expect(far).rejects.toThrow(ValidationError);
    await expect(far).rejects.toThrow(/^field "price" was 110: 10\.0% away from BTC\/USDT's last price 100 on account "desk"/);
    await expect(a.accounts.closePosition('desk', { symbol: 'ETH/USDT' }, 'bob')).rejects.toThrow(new NotFoundError('account "desk" has no open position on "ETH/USDT"'));

    // A force exit sent to A closes B's position (and cancels its stop), journaled with who asked.
    const closed = await a.accounts.closePosition('desk', { symbol: 'BTC/USDT' }, 'carol');
    expect(closed).toMatchObject({ remaining: 0, cancelledStopIds: [view.openOrders[0].id] });
    expect(inB.exchange().positionAmountSigned('BTC/USDT')).toBe(0);
    expect((await a.accounts.view('desk')).positions).toEqual([]);
    expect(kept.decisions.at(-1)).toMatchObject({ outcome: 'executed', reason: 'force exit by carol' });

    // Once B's sessions stopped (no lease held), A acts on the account itself, from the stored state.
    release();
    heldBy.current = null;
    const own = await a.accounts.placeOrder('desk', { symbol: 'BTC/USDT', side: 'long', price: 100, stopPrice: 98 }, 'bob');
    expect(own.outcome).toBe('placed');
    expect(inA.exchange()).not.toBe(inB.exchange());
    expect((await a.accounts.runtime('desk')).exchange().positionAmountSigned('BTC/USDT')).toBeCloseTo(own.entry!.filled, 12);
    await b.listener.stop();
  });

  it('says so when the holder does not answer, without acting here', async () => {
    const { proc, stores } = twoProcesses();
    await stores.candles.insertCandles({ exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1m' }, toColumns([{ openTimeMs: T0, open: 100, high: 100, low: 100, close: 100, volume: 1_000 }]));
    const a = proc('A', createManualClock(T0), undefined, { holders: { accountHolder: async () => 'trader-7' }, forwardTimeoutMs: 60, journal: keptJournal().journal });
    await a.accounts.create({ id: 'desk', ...FUTURES, leverage: 2 }, 'alice');
    // Nobody listens for B: the command goes unanswered.
    const order = a.accounts.placeOrder('desk', { symbol: 'BTC/USDT', side: 'long', price: 100, stopPrice: 98 }, 'bob');
    await expect(order).rejects.toThrow(AccountHolderUnavailableError);
    await expect(order).rejects.toThrow(
      'account "desk" is traded by sessions in another process (trader-7), which did not answer within 0 s: the order may or may not have been carried out; check the account\'s positions and orders before sending it again, or stop its sessions and retry',
    );
    expect((await a.accounts.runtime('desk')).exchange().positionAmountSigned('BTC/USDT')).toBe(0);
    // Fees, leverage or margin mode cannot change while the other process's sessions trade the account.
    expect(await a.accounts.update('desk', { settings: { takerFeeBps: 7 } }, 'alice')).toEqual({
      ok: false,
      fieldErrors: { settings: ['a session trades this account (in trader-7): stop its sessions before changing fees, leverage or margin mode'] },
    });
  });

  it('are carried out here when the lease is this process\'s own, though no session has taken the account yet (one starting)', async () => {
    const { proc, stores } = twoProcesses();
    await stores.candles.insertCandles({ exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1m' }, toColumns([{ openTimeMs: T0, open: 100, high: 100, low: 100, close: 100, volume: 1_000 }]));
    // The store says this process ('lease-A') holds the account's session lease; its session has not acquired the runtime.
    const a = proc('A', createManualClock(T0), undefined, { holders: { accountHolder: async () => 'lease-A' }, leaseOwner: 'lease-A', forwardTimeoutMs: 2_000, journal: keptJournal().journal });
    await a.accounts.create({ id: 'desk', ...FUTURES, leverage: 2 }, 'alice');
    // Forwarded, the order would wait for an answer nobody sends and fail with AccountHolderUnavailableError.
    const placed = await a.accounts.placeOrder('desk', { symbol: 'BTC/USDT', side: 'long', price: 100, stopPrice: 98 }, 'bob');
    // Sized here as in the holder: 1 % of 10,000 over a loss of 2.099 a unit at the stop (fees included).
    expect(placed.outcome).toBe('placed');
    expect(placed.entry!.filled).toBeCloseTo(100 / 2.099, 9);
    expect((await a.accounts.runtime('desk')).exchange().positionAmountSigned('BTC/USDT')).toBeCloseTo(100 / 2.099, 9);
  });
});

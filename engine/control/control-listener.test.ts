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
  const proc = (name: string, clock: Clock, sessions?: Parameters<typeof createControlListener>[0]['sessions']) => {
    const transport = hub.transport();
    const bus: ControlBus = createControlBus({ transport, clock, logger: silentLogger, processId: name, newId: () => `m${++seq}` });
    const accounts: AccountBook = createAccountBook({ clock, logger: silentLogger, ...stores, defaultRiskLimits: async () => ({ ...LIMITS }), control: bus });
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

/**
 * A rule strategy saved in one process reaches every other process on the same database: its save is
 * announced on the control bus (`strategies-changed`), each listener re-reads the store into its catalog,
 * a listener that missed the message re-reads at its reconnect, and a run checks the store before it is built.
 */
import { describe, expect, it } from 'vitest';
import { createManualClock, silentLogger } from '../../core/clock';
import { createControlBus, createInMemoryControlAckStore, createInMemoryNotifyHub } from '../../control/control-bus';
import { createControlListener } from '../../control/control-listener';
import { createInMemoryStrategyRuleRepository } from '../../testing/in-memory-strategy-rule-repository';
import { smaCrossRule } from '../../testing/sma-cross-pair';
import { createBuiltInCatalog } from '../built-in-strategies';
import { createRuleStrategyService } from './rule-strategy-service';

const T0 = Date.UTC(2024, 0, 1);
/** Lets queued microtasks and the listener's awaits run. */
const settle = () => new Promise((r) => setTimeout(r, 5));

/** Two processes on one rule store and one hub, each with its own catalog, rule service, bus and listener. */
function twoProcesses() {
  const repository = createInMemoryStrategyRuleRepository();
  const hub = createInMemoryNotifyHub();
  const acks = createInMemoryControlAckStore();
  let seq = 0;
  const proc = (name: string) => {
    const clock = createManualClock(T0);
    const transport = hub.transport();
    const bus = createControlBus({ transport, clock, logger: silentLogger, processId: name, newId: () => `m${++seq}` });
    const catalog = createBuiltInCatalog();
    let changes = 0;
    catalog.onChange(() => void changes++);
    const rules = createRuleStrategyService({ repository, clock, logger: silentLogger, catalog: () => catalog, control: bus });
    const listener = createControlListener({
      bus,
      acks,
      clock,
      logger: silentLogger,
      accounts: { syncLoaded: async () => [], refresh: async () => false },
      strategies: { syncRules: () => rules.refresh() },
    });
    return { bus, catalog, rules, listener, transport, changes: () => changes };
  };
  return { proc, acks, repository };
}

/** The SMA periods a catalog's adapter of `name` computes (what the run would trade). */
const smaOf = (catalog: ReturnType<typeof createBuiltInCatalog>, name: string) => catalog.create(name, undefined).features.sma;

describe('rule strategies across processes', () => {
  it("a rule saved in process A (a new name, then version 2) is what process B's catalog builds once the message arrives; B acknowledges, A does not", async () => {
    const { proc, acks } = twoProcesses();
    const a = proc('A');
    const b = proc('B');
    await a.listener.start();
    await b.listener.start();
    await settle();

    await a.rules.create(smaCrossRule('sma-cross'), 'alice@example.com');
    await settle();
    expect(b.catalog.get('sma-cross')?.version).toBe('1');
    expect(smaOf(b.catalog, 'sma-cross')).toEqual([10, 30]);
    expect(b.catalog.describe().map((d) => d.name)).toContain('sma-cross');

    const saved = await a.rules.update('sma-cross', smaCrossRule('sma-cross', 5, 20), 'alice@example.com');
    expect(saved.version).toBe(2);
    await settle();
    expect(b.catalog.get('sma-cross')?.version).toBe('2');
    expect(smaOf(b.catalog, 'sma-cross')).toEqual([5, 20]);
    expect(b.catalog.provenance('sma-cross')).toEqual(a.catalog.provenance('sma-cross'));

    expect(await acks.list('m1')).toEqual([{ messageId: 'm1', processId: 'B', kind: 'strategies-changed', outcome: 'applied', detail: 'rule strategies reloaded: sma-cross v1', atMs: T0 }]);
    expect(await acks.list('m2')).toEqual([{ messageId: 'm2', processId: 'B', kind: 'strategies-changed', outcome: 'applied', detail: 'rule strategies reloaded: sma-cross v2', atMs: T0 }]);
    await a.listener.stop();
    await b.listener.stop();
  });

  it('a process whose listener missed the message (disconnected) picks the saved version up when it reconnects', async () => {
    const { proc } = twoProcesses();
    const a = proc('A');
    const b = proc('B');
    await b.listener.start();
    await settle();
    await a.rules.create(smaCrossRule('sma-cross'), null);
    await settle();
    expect(b.catalog.get('sma-cross')?.version).toBe('1');

    b.transport.disconnected = true;
    await a.rules.update('sma-cross', smaCrossRule('sma-cross', 5, 20), null);
    await a.rules.create(smaCrossRule('ema-less'), null);
    await settle();
    expect(b.catalog.get('sma-cross')?.version).toBe('1');
    expect(b.catalog.get('ema-less')).toBeUndefined();

    b.transport.reconnect();
    await settle();
    expect(b.catalog.get('sma-cross')?.version).toBe('2');
    expect(smaOf(b.catalog, 'sma-cross')).toEqual([5, 20]);
    expect(b.catalog.get('ema-less')?.version).toBe('1');
    await b.listener.stop();
  });

  it("a store check (before a run) replaces the catalog's rules only when a stored version differs, and says what changed", async () => {
    const { proc } = twoProcesses();
    const a = proc('A');
    const b = proc('B'); // no listener: only the check before a run
    await a.rules.create(smaCrossRule('sma-cross'), null);
    expect(await b.rules.refresh()).toEqual(['sma-cross v1']);
    expect(b.changes()).toBe(1);
    expect(await b.rules.refresh()).toEqual([]);
    expect(b.changes()).toBe(1);
    await a.rules.update('sma-cross', smaCrossRule('sma-cross', 5, 20), null);
    expect(await b.rules.refresh()).toEqual(['sma-cross v2']);
    expect(b.changes()).toBe(2);
    expect(smaOf(b.catalog, 'sma-cross')).toEqual([5, 20]);
  });
});

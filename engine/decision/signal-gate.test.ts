import { describe, expect, it } from 'vitest';
import { createSignalGate } from './signal-gate';

describe('createSignalGate', () => {
  it('holds a symbol in cooldown until cooldownMs after its last entry', () => {
    const gate = createSignalGate({ ttlMs: 30_000, cooldownMs: 60_000 });
    expect(gate.admit(0, 1_000)).toBe('ok');
    gate.noteEntry(0, 1_000);
    expect(gate.admit(0, 60_999)).toBe('cooldown');
    expect(gate.admit(0, 61_000)).toBe('ok');
    expect(gate.admit(1, 2_000)).toBe('ok');
  });

  it('admits every entry when the cooldown is 0', () => {
    const gate = createSignalGate({ ttlMs: 0, cooldownMs: 0 });
    gate.noteEntry(3, 500);
    expect(gate.admit(3, 500)).toBe('ok');
  });

  it('expires a signal only once it is older than ttlMs', () => {
    const gate = createSignalGate({ ttlMs: 30_000, cooldownMs: 0 });
    expect(gate.isExpired(10_000, 10_000)).toBe(false);
    expect(gate.isExpired(10_000, 40_000)).toBe(false);
    expect(gate.isExpired(10_000, 40_001)).toBe(true);
  });

  it('grows to symbol indexes beyond its initial capacity', () => {
    const gate = createSignalGate({ ttlMs: 0, cooldownMs: 10 }, 2);
    gate.noteEntry(40, 5);
    expect(gate.lastEntryMs(40)).toBe(5);
    expect(gate.lastEntryMs(39)).toBeNaN();
    expect(gate.lastEntryMs(1000)).toBeNaN();
    expect(gate.admit(40, 14)).toBe('cooldown');
  });

  it('forgets entries on reset', () => {
    const gate = createSignalGate({ ttlMs: 0, cooldownMs: 10 });
    gate.noteEntry(0, 5);
    gate.reset();
    expect(gate.admit(0, 6)).toBe('ok');
  });

  it('rejects an entry before the previous one on the same symbol', () => {
    const gate = createSignalGate({ ttlMs: 0, cooldownMs: 10 });
    gate.noteEntry(0, 100);
    expect(() => gate.noteEntry(0, 99)).toThrow("entry time (99) is before the symbol's previous entry (100)");
  });

  it('rejects a negative or fractional symbol index', () => {
    const gate = createSignalGate({ ttlMs: 0, cooldownMs: 0 });
    expect(() => gate.admit(-1, 0)).toThrow('symbol index (-1) must be an integer >= 0');
    expect(() => gate.noteEntry(1.5, 0)).toThrow('symbol index (1.5) must be an integer >= 0');
  });

  it('rejects a clock reading before the signal time', () => {
    const gate = createSignalGate({ ttlMs: 10, cooldownMs: 0 });
    expect(() => gate.isExpired(100, 50)).toThrow('now (50) is before the signal time (100)');
  });

  it('rejects a negative cooldown', () => {
    expect(() => createSignalGate({ ttlMs: 0, cooldownMs: -1 })).toThrow('cooldownMs (-1) must be a finite number of ms >= 0');
  });
});

/**
 * Per-symbol entry gate: enforces a cooldown between entries and a time-to-live on signals.
 * State is one Float64Array of last entry times indexed by symbol index (the loop's dense index
 * of the symbols it trades), so checks allocate nothing.
 */
import { ValidationError } from '../core/errors';

/** Gate verdicts. */
export const GateDecision = { Ok: 'ok', Cooldown: 'cooldown' } as const;
export type GateDecision = (typeof GateDecision)[keyof typeof GateDecision];

/** Gate settings, milliseconds, both finite and >= 0. A {@link FusionConfig}'s resolved form fits. */
export interface SignalGateConfig {
  readonly ttlMs: number;
  readonly cooldownMs: number;
}

/** The cooldown/TTL gate. Times are epoch ms from the injected clock or the candle feed. */
export interface SignalGate {
  readonly config: Readonly<SignalGateConfig>;
  /**
   * 'cooldown' when the symbol had an entry less than `cooldownMs` before `timeMs`
   * (timeMs - lastEntry < cooldownMs), else 'ok'. A symbol with no entry is always 'ok'.
   * @throws ValidationError when symbolIndex is not an integer >= 0.
   */
  admit(symbolIndex: number, timeMs: number): GateDecision;
  /**
   * Records an entry on the symbol at `timeMs`.
   * @throws ValidationError when symbolIndex is not an integer >= 0, `timeMs` is not finite or is before the
   *   symbol's previous entry (time never rewinds).
   */
  noteEntry(symbolIndex: number, timeMs: number): void;
  /**
   * True when a signal created at `signalTimeMs` is older than `ttlMs` at `nowMs`
   * (nowMs - signalTimeMs > ttlMs); a signal exactly `ttlMs` old is still actionable.
   * @throws ValidationError when `nowMs` is before `signalTimeMs`.
   */
  isExpired(signalTimeMs: number, nowMs: number): boolean;
  /** Last entry time of the symbol, NaN when none. */
  lastEntryMs(symbolIndex: number): number;
  /** Forgets every entry. */
  reset(): void;
}

function checkSymbolIndex(symbolIndex: number): void {
  if (!(Number.isInteger(symbolIndex) && symbolIndex >= 0)) {
    throw new ValidationError('symbolIndex', symbolIndex, `symbol index (${String(symbolIndex)}) must be an integer >= 0`);
  }
}

/**
 * Creates a signal gate.
 * @param symbolCapacity initial number of symbol slots; grows by doubling when a larger index is noted.
 * @throws ValidationError when ttlMs or cooldownMs is not a finite number >= 0.
 */
export function createSignalGate(config: SignalGateConfig, symbolCapacity = 16): SignalGate {
  for (const field of ['ttlMs', 'cooldownMs'] as const) {
    const value = config[field];
    if (!(Number.isFinite(value) && value >= 0)) {
      throw new ValidationError(field, value, `${field} (${String(value)}) must be a finite number of ms >= 0`);
    }
  }
  const { ttlMs, cooldownMs } = config;
  let lastEntry = new Float64Array(Math.max(1, symbolCapacity)).fill(NaN);

  return Object.freeze({
    config: Object.freeze({ ttlMs, cooldownMs }),
    admit(symbolIndex: number, timeMs: number): GateDecision {
      checkSymbolIndex(symbolIndex);
      const last = symbolIndex < lastEntry.length ? lastEntry[symbolIndex] : NaN;
      return last === last && timeMs - last < cooldownMs ? GateDecision.Cooldown : GateDecision.Ok;
    },
    noteEntry(symbolIndex: number, timeMs: number): void {
      checkSymbolIndex(symbolIndex);
      if (symbolIndex >= lastEntry.length) {
        let size = lastEntry.length * 2;
        while (size <= symbolIndex) size *= 2;
        const next = new Float64Array(size).fill(NaN);
        next.set(lastEntry);
        lastEntry = next;
      }
      if (!Number.isFinite(timeMs)) {
        throw new ValidationError('timeMs', timeMs, `entry time (${String(timeMs)}) must be a finite epoch ms`);
      }
      const last = lastEntry[symbolIndex];
      if (timeMs < last) {
        throw new ValidationError(
          'timeMs',
          timeMs,
          `entry time (${timeMs}) is before the symbol's previous entry (${last})`,
        );
      }
      lastEntry[symbolIndex] = timeMs;
    },
    isExpired(signalTimeMs: number, nowMs: number): boolean {
      if (nowMs < signalTimeMs) {
        throw new ValidationError('nowMs', nowMs, `now (${nowMs}) is before the signal time (${signalTimeMs})`);
      }
      return nowMs - signalTimeMs > ttlMs;
    },
    lastEntryMs(symbolIndex: number): number {
      checkSymbolIndex(symbolIndex);
      return symbolIndex < lastEntry.length ? lastEntry[symbolIndex] : NaN;
    },
    reset(): void {
      lastEntry.fill(NaN);
    },
  });
}

/** Source of time. Never call `Date.now()` in the engine; ask the clock. */
export interface Clock {
  nowMs(): number;
  /**
   * Writes `nowMs()` into `out[index]`: the form for a step that must not allocate (a number returned by a call that is
   * not inlined is boxed). Optional; callers fall back to `nowMs()` (see {@link writeNowMs}).
   */
  writeNowMs?(out: Float64Array, index: number): void;
}

/** Writes `clock.nowMs()` into `out[index]`, through the clock's `writeNowMs` when it has one (no number crosses a call). */
export function writeNowMs(clock: Clock, out: Float64Array, index: number): void {
  if (clock.writeNowMs) clock.writeNowMs(out, index);
  else out[index] = clock.nowMs();
}

/**
 * A clock that only moves when told to: backtests drive it from candle times, tests set it by hand.
 * Throws a RangeError if asked to move backwards, since engine time never rewinds.
 */
export interface ManualClock extends Clock {
  set(timeMs: number): void;
  /**
   * `set(times[index] + addMs)`: the time read from a caller's column, so no number crosses the call (a number passed
   * to a call that is not inlined is boxed; a backtest sets the clock once per candle).
   */
  setFrom(times: Float64Array, index: number, addMs: number): void;
  advance(deltaMs: number): void;
}

/** Creates a manual clock starting at `startMs` (epoch milliseconds). */
export function createManualClock(startMs = 0): ManualClock {
  // The time lives in a typed array: a double kept in a closure variable is a heap number, allocated anew on
  // every `set` (a backtest sets the clock once per candle).
  const now = new Float64Array(1);
  now[0] = startMs;
  return {
    nowMs: () => now[0],
    writeNowMs(out: Float64Array, index: number) {
      out[index] = now[0];
    },
    set(timeMs: number) {
      if (timeMs < now[0]) throw new RangeError(`clock cannot move backwards from ${now[0]} to ${timeMs}`);
      now[0] = timeMs;
    },
    setFrom(times: Float64Array, index: number, addMs: number) {
      if (times[index] + addMs < now[0]) throw new RangeError(`clock cannot move backwards from ${now[0]} to ${times[index] + addMs}`);
      now[0] = times[index] + addMs;
    },
    advance(deltaMs: number) {
      if (deltaMs < 0) throw new RangeError(`clock cannot advance by a negative ${deltaMs} ms`);
      now[0] += deltaMs;
    },
  };
}

/** A logger that drops everything; for tests and benchmarks. */
export const silentLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

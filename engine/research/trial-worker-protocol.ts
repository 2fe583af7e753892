/**
 * The messages between the trial pool and its worker threads, and the worker's side of them. Kept in
 * the engine (pure TS, no `node:worker_threads`): the app's pool (app/_server/studies) owns the
 * threads and hands this module a port to talk through.
 *
 * A session (one study run) starts with `open`: the study's candles as SharedArrayBuffers (the six
 * columns, each `length` float64s; the threads read the same memory, nothing is copied), the trial
 * setup, the strategy's source, from which the thread rebuilds its catalog, and the files of the study's models, from
 * which it opens its own model sessions. Then `run` messages, one trial each, answered by `result` or `failed`; `close`
 * ends the session and releases its models.
 */
import { ValidationError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { CandleColumns } from '../core/types';
import type { StrategyCatalog } from '../strategies/strategy-catalog';
import type { LoopModelFile } from '../decision/loop-models';
import type { TrialOutcome, TrialSetup, TrialTask } from './study-trial';
import { openTrialEvaluator, type OpenedTrialEvaluator, type TrialStrategySource } from './trial-runner';

/** The candle columns a session shares, in this order. */
export const SHARED_COLUMNS = ['openTimeMs', 'open', 'high', 'low', 'close', 'volume'] as const;

/** Pool -> thread. */
export type TrialWorkerRequest =
  | { type: 'open'; sessionId: number; setup: TrialSetup; strategy: TrialStrategySource; length: number; buffers: SharedArrayBuffer[]; models: readonly LoopModelFile[] }
  | { type: 'run'; sessionId: number; taskId: number; task: TrialTask }
  | { type: 'close'; sessionId: number };

/** A failure as it crosses the thread boundary (a ValidationError keeps its field and value). */
export interface TrialWorkerFailure {
  message: string;
  field?: string;
  value?: unknown;
}

/** Thread -> pool. */
export type TrialWorkerReply =
  | { type: 'opened'; sessionId: number }
  | { type: 'open-failed'; sessionId: number; error: TrialWorkerFailure }
  | { type: 'result'; taskId: number; outcome: TrialOutcome }
  | { type: 'failed'; taskId: number; error: TrialWorkerFailure };

/** A failure to send across the boundary. */
export function failureOf(error: unknown): TrialWorkerFailure {
  if (error instanceof ValidationError) return { message: error.message, field: error.field, value: error.value };
  return { message: error instanceof Error ? error.message : String(error) };
}

/** The error a failure stands for on the pool's side (a ValidationError again when it was one). */
export function errorOf(failure: TrialWorkerFailure): Error {
  if (failure.field !== undefined) {
    const head = `field "${failure.field}" was ${JSON.stringify(failure.value) ?? String(failure.value)}: `;
    return new ValidationError(failure.field, failure.value, failure.message.startsWith(head) ? failure.message.slice(head.length) : failure.message);
  }
  return new Error(failure.message);
}

/** Candle columns over shared buffers (one per column, `length` float64s each). */
export function columnsOfBuffers(buffers: readonly SharedArrayBuffer[], length: number): CandleColumns {
  const [openTimeMs, open, high, low, close, volume] = buffers.map((buffer) => new Float64Array(buffer, 0, length));
  return { length, openTimeMs, open, high, low, close, volume };
}

/** Copies candle columns into shared buffers, in {@link SHARED_COLUMNS} order. */
export function sharedBuffersOf(columns: CandleColumns): SharedArrayBuffer[] {
  return SHARED_COLUMNS.map((name) => {
    const buffer = new SharedArrayBuffer(Math.max(1, columns.length) * Float64Array.BYTES_PER_ELEMENT);
    new Float64Array(buffer, 0, columns.length).set(columns[name].subarray(0, columns.length));
    return buffer;
  });
}

/** What a worker thread needs: a catalog holding the study's strategy, rebuilt from its source. */
export interface TrialWorkerDeps {
  catalogOf(source: TrialStrategySource): Promise<StrategyCatalog>;
  logger: Logger;
}

/**
 * The worker's message handler: opens sessions (rebuilding the catalog), evaluates trials with
 * `createTrialEvaluator` over the shared candles, and closes sessions. `reply` sends to the pool.
 */
export function createTrialWorkerHandler(deps: TrialWorkerDeps, reply: (message: TrialWorkerReply) => void): (message: TrialWorkerRequest) => Promise<void> {
  const sessions = new Map<number, Promise<OpenedTrialEvaluator>>();
  return async (message) => {
    switch (message.type) {
      case 'open': {
        const opening = deps
          .catalogOf(message.strategy)
          .then((catalog) => openTrialEvaluator({ setup: message.setup, columns: columnsOfBuffers(message.buffers, message.length), models: message.models }, { catalog, logger: deps.logger }));
        sessions.set(message.sessionId, opening);
        try {
          await opening;
          reply({ type: 'opened', sessionId: message.sessionId });
        } catch (error) {
          sessions.delete(message.sessionId);
          reply({ type: 'open-failed', sessionId: message.sessionId, error: failureOf(error) });
        }
        return;
      }
      case 'run': {
        try {
          const evaluate = sessions.get(message.sessionId);
          if (!evaluate) throw new Error(`trial session ${message.sessionId} is not open in this thread`);
          reply({ type: 'result', taskId: message.taskId, outcome: await (await evaluate).evaluate(message.task) });
        } catch (error) {
          reply({ type: 'failed', taskId: message.taskId, error: failureOf(error) });
        }
        return;
      }
      case 'close': {
        const closing = sessions.get(message.sessionId);
        sessions.delete(message.sessionId);
        await closing?.then((opened) => opened.release(), () => undefined);
        return;
      }
    }
  };
}

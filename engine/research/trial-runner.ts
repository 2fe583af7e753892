/**
 * The port a study runs its trials through, and its inline implementation. A `TrialRunner` opens a
 * session per study run: the session receives the study's candles once and then runs trials, at
 * most `parallelism` at a time. The inline runner evaluates in this thread (tests, one core); the
 * worker-thread pool (app/_server/studies/trial-worker-pool.ts) shares the candles with its threads
 * through SharedArrayBuffers and rebuilds the strategy in each thread from a {@link TrialStrategySource}.
 * Both evaluate with `createTrialEvaluator`, so they give identical results.
 */
import type { CandleColumns } from '../core/types';
import type { Logger } from '../core/logger';
import type { StrategyCatalog } from '../strategies/strategy-catalog';
import type { LoopModelFile } from '../decision/loop-models';
import { openLoopModelFiles } from '../ml/loop-model-source';
import { loadOnnxModel } from '../ml/onnx-model';
import { createTrialEvaluator, type TrialEvaluator, type TrialOutcome, type TrialSetup, type TrialTask } from './study-trial';

/**
 * How a worker thread rebuilds the one strategy a study optimises: a built-in by name, a strategy
 * file from the strategies folder (checked against the source hash the study saw), or a rule
 * strategy from its stored definition (data).
 */
export type TrialStrategySource =
  | { readonly kind: 'built-in'; readonly name: string }
  | { readonly kind: 'file'; readonly name: string; readonly dir: string; readonly sourceHash: string }
  | { readonly kind: 'rule'; readonly name: string; readonly version: number; readonly definition: unknown };

/** What a session needs: the shared setup, the candles (warm-up history first), the strategy's source and the models' files. */
export interface TrialSessionInput {
  readonly setup: TrialSetup;
  readonly columns: CandleColumns;
  readonly strategy: TrialStrategySource;
  /** The files of the models the study's request turns on (its versions, pinned when it was queued); none when absent. */
  readonly models?: readonly LoopModelFile[];
}

/** A session's evaluator, and the release of the models it opened from the input's files (with the session). */
export interface OpenedTrialEvaluator {
  readonly evaluate: TrialEvaluator;
  release(): Promise<void>;
}

/**
 * Opens the models of a session (each thread and the inline runner open their own sessions from the same files, so
 * every trial gets the same predictions wherever it runs) and builds its evaluator.
 */
export async function openTrialEvaluator(
  input: Pick<TrialSessionInput, 'setup' | 'columns' | 'models'>,
  deps: { catalog: StrategyCatalog; logger: Logger },
): Promise<OpenedTrialEvaluator> {
  const opened = input.models && input.models.length > 0 ? await openLoopModelFiles(input.models, loadOnnxModel) : null;
  return {
    evaluate: createTrialEvaluator(input.setup, input.columns, { ...deps, models: opened?.models }),
    release: async () => {
      await opened?.release();
    },
  };
}

/** Trials of one study run. */
export interface TrialSession {
  /** Runs one trial. @throws whatever the evaluation throws (a refused candidate, a broken strategy). */
  run(task: TrialTask): Promise<TrialOutcome>;
  /** Releases the session's resources (the threads keep running for the next study). */
  close(): Promise<void>;
}

/** Runs study trials. */
export interface TrialRunner {
  /** How many trials may usefully run at once (>= 1). */
  readonly parallelism: number;
  /** Opens a session over a study's candles. @throws when the strategy cannot be rebuilt. */
  open(input: TrialSessionInput): Promise<TrialSession>;
}

/**
 * The inline runner: trials run one at a time in this thread against `catalog` (the engine's).
 * `parallelism` is 1. Each trial first yields to the event loop (a macrotask), so a long study run
 * inline leaves the server answering requests (a cancel among them) between trials.
 */
export function createInlineTrialRunner(deps: { catalog: () => StrategyCatalog; logger: Logger }): TrialRunner {
  return {
    parallelism: 1,
    async open(input) {
      const { evaluate, release } = await openTrialEvaluator(input, { catalog: deps.catalog(), logger: deps.logger });
      return {
        async run(task) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          return evaluate(task);
        },
        close: release,
      };
    },
  };
}

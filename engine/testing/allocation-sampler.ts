/**
 * Measures what the V8 heap allocates while a body runs, for the allocation test and `npm run bench`.
 *
 * Method: V8's sampling heap profiler (`HeapProfiler.startSampling`) with the objects that minor and major
 * garbage collections freed kept in the profile, so short-lived garbage counts as well as what survives.
 * Each allocation is sampled with a probability proportional to its size (mean interval
 * `samplingIntervalBytes`) and V8 scales the samples back to bytes, so a figure is an estimate with a
 * few per cent of noise; a body that allocates nothing gives exactly 0. Only samples whose call stack
 * contains a frame accepted by `countFrame` are counted (e.g. frames of one function), which keeps the
 * test runner's and the profiler's own allocations out of the figure.
 */
import { Session as CallbackSession } from 'node:inspector';
import { Session } from 'node:inspector/promises';

/** One stack frame of a sample: the function's name and the script it lives in. */
export interface AllocationFrame {
  functionName: string;
  url: string;
}

interface ProfileNode {
  callFrame: AllocationFrame;
  selfSize: number;
  children: ProfileNode[];
}

/**
 * Runs `body` under the sampling heap profiler and returns the bytes allocated by stacks that contain a
 * frame for which `countFrame` is true (every stack when omitted).
 * @throws whatever `body` throws (the profiler is stopped first).
 */
export async function sampleAllocatedBytes(
  body: () => unknown,
  options: { samplingIntervalBytes?: number; countFrame?: (frame: AllocationFrame) => boolean } = {},
): Promise<number> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.enable');
    // The two include flags exist since V8 11 (Node 20); older protocol typings lack them.
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: options.samplingIntervalBytes ?? 64,
      includeObjectsCollectedByMinorGC: true,
      includeObjectsCollectedByMajorGC: true,
    } as { samplingInterval: number });
    let profile: { head: ProfileNode };
    try {
      await body();
    } finally {
      profile = (await session.post('HeapProfiler.stopSampling')).profile as unknown as { head: ProfileNode };
    }
    return countedBytes(profile.head, options.countFrame ?? (() => true));
  } finally {
    await session.post('HeapProfiler.disable').catch(() => undefined);
    session.disconnect();
  }
}

/** A sampling window opened by {@link startAllocationSampling}. */
export interface AllocationWindow {
  /**
   * Stops sampling and returns the bytes allocated since the start by stacks with a frame `countFrame` accepts
   * (every stack when omitted) and none that `skipFrame` accepts (none skipped when omitted).
   */
  stop(countFrame?: (frame: AllocationFrame) => boolean, skipFrame?: (frame: AllocationFrame) => boolean): number;
  /** Like `stop`, and also returns `skippedBytes`: what the counted stacks that `skipFrame` set aside allocated. */
  stopSplit(countFrame?: (frame: AllocationFrame) => boolean, skipFrame?: (frame: AllocationFrame) => boolean): { bytes: number; skippedBytes: number };
}

/**
 * Starts the sampling heap profiler now, synchronously (an in-thread inspector session answers at once), so a
 * window can open and close inside a run, e.g. from a backtest's progress callback: the steady state of a
 * run's second half, after the JIT has compiled the loop of that run. Same method and noise as
 * {@link sampleAllocatedBytes}.
 * @throws Error when the inspector refuses a command.
 */
export function startAllocationSampling(options: { samplingIntervalBytes?: number } = {}): AllocationWindow {
  const session = new CallbackSession();
  session.connect();
  const post = (method: string, params?: object): unknown => {
    let failure: Error | null = null;
    let answer: unknown;
    session.post(method, params ?? {}, (error, result) => {
      failure = error;
      answer = result;
    });
    if (failure) throw failure;
    return answer;
  };
  post('HeapProfiler.enable');
  post('HeapProfiler.startSampling', { samplingInterval: options.samplingIntervalBytes ?? 64, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true });
  let stopped = false;
  const stopSplit = (countFrame: (frame: AllocationFrame) => boolean = () => true, skipFrame: (frame: AllocationFrame) => boolean = () => false) => {
    if (stopped) throw new Error('the allocation window is already closed');
    stopped = true;
    try {
      const { profile } = post('HeapProfiler.stopSampling') as { profile: { head: ProfileNode } };
      return splitBytes(profile.head, countFrame, skipFrame);
    } finally {
      post('HeapProfiler.disable');
      session.disconnect();
    }
  };
  return { stopSplit, stop: (countFrame, skipFrame) => stopSplit(countFrame, skipFrame).bytes };
}

/** A full garbage collection now, through the in-thread inspector (no --expose-gc needed). */
function collectGarbage(): void {
  const session = new CallbackSession();
  session.connect();
  try {
    session.post('HeapProfiler.collectGarbage', () => undefined);
  } finally {
    session.disconnect();
  }
}

/** Bytes of the samples under `head` whose stacks contain a frame `countFrame` accepts. */
function countedBytes(head: ProfileNode, countFrame: (frame: AllocationFrame) => boolean): number {
  return splitBytes(head, countFrame, () => false).bytes;
}

/**
 * Bytes of the samples under `head` whose stacks contain a frame `countFrame` accepts: `bytes` for those with no
 * frame `skipFrame` accepts (at any depth, above or below the counted frame), `skippedBytes` for the others.
 */
function splitBytes(
  head: ProfileNode,
  countFrame: (frame: AllocationFrame) => boolean,
  skipFrame: (frame: AllocationFrame) => boolean,
): { bytes: number; skippedBytes: number } {
  let bytes = 0;
  let skippedBytes = 0;
  const walk = (node: ProfileNode, counted: boolean, skipped: boolean) => {
    const here = counted || countFrame(node.callFrame);
    const skip = skipped || skipFrame(node.callFrame);
    if (here && skip) skippedBytes += node.selfSize;
    else if (here) bytes += node.selfSize;
    for (const child of node.children) walk(child, here, skip);
  };
  walk(head, false, false);
  return { bytes, skippedBytes };
}

/**
 * Bytes allocated during the part of a run between the fractions `from` and `to` (0..1) of its steps, as the
 * run reports progress through `onProgress(step, total)` (a backtest reports every 1 %): the steady state
 * without the start-up of the run's loop (its first candles run while the JIT compiles that run's closures).
 * A full garbage collection runs first. Returns the bytes counted (see {@link startAllocationSampling}; stacks
 * through a frame `skipFrame` accepts are returned apart, as `skippedBytes`) and the steps the window spanned (0 when the run reported too little progress to open and close it).
 * @throws whatever `run` throws (the window is closed first).
 */
export async function sampleRunWindow(
  run: (onProgress: (step: number, total: number) => void) => Promise<unknown>,
  options: {
    from: number;
    to: number;
    countFrame?: (frame: AllocationFrame) => boolean;
    skipFrame?: (frame: AllocationFrame) => boolean;
    samplingIntervalBytes?: number;
  },
): Promise<{ bytes: number; skippedBytes: number; steps: number }> {
  let window: AllocationWindow | null = null;
  let firstStep = 0;
  let bytes = 0;
  let skippedBytes = 0;
  let steps = 0;
  // Earlier runs' garbage goes first: optimised code that embeds their (dead) objects is dropped when a
  // collection finds them dead, which mid-window would send this run back to unoptimised code for a while.
  collectGarbage();
  const onProgress = (step: number, total: number) => {
    if (window === null && steps === 0 && step >= options.from * total && step < options.to * total) {
      window = startAllocationSampling(options);
      firstStep = step;
    } else if (window !== null && step >= options.to * total) {
      ({ bytes, skippedBytes } = window.stopSplit(options.countFrame, options.skipFrame));
      window = null;
      steps = step - firstStep;
    }
  };
  try {
    await run(onProgress);
  } finally {
    if (window !== null) (window as AllocationWindow).stop();
  }
  return { bytes, skippedBytes, steps };
}

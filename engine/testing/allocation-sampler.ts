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
    const countFrame = options.countFrame ?? (() => true);
    let bytes = 0;
    const walk = (node: ProfileNode, counted: boolean) => {
      const here = counted || countFrame(node.callFrame);
      if (here) bytes += node.selfSize;
      for (const child of node.children) walk(child, here);
    };
    walk(profile.head, false);
    return bytes;
  } finally {
    await session.post('HeapProfiler.disable').catch(() => undefined);
    session.disconnect();
  }
}

/**
 * The worker-thread pool studies fan their trials out on (the engine's `TrialRunner` port). Built
 * once by the composition root and stopped with it (a `BackgroundWorker`): the threads start with the
 * first study and are kept for the next; `stop` terminates them. Each session (one study run) copies
 * the study's candles once into SharedArrayBuffers that every thread reads in place; a thread then
 * runs one trial at a time, so at most `size` trials run at once, over all sessions (sessions open at
 * the same time, e.g. two studies or two Inngest steps, queue for the same threads). A thread that dies fails the trials
 * it held and the session's later trials, and is replaced at the next session.
 *
 * A pool of size 1 would only add a thread hop: the root uses the inline runner then.
 *
 * The threads start from `app/_server/studies/trial-worker.mjs` on disk under `config.root` (the
 * repository), also in the production server: the entry is not bundled.
 */
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { Logger } from '@/engine/core/logger';
import type { BackgroundWorker } from '@/engine/ports/lifecycle';
import type { TrialOutcome } from '@/engine/research/study-trial';
import type { TrialRunner, TrialSession } from '@/engine/research/trial-runner';
import { errorOf, sharedBuffersOf, type TrialWorkerReply, type TrialWorkerRequest } from '@/engine/research/trial-worker-protocol';

/** Settings of the pool. */
export interface TrialWorkerPoolConfig {
  /** Threads (>= 1), e.g. `os.availableParallelism()`. */
  size: number;
  /** The repository root on disk (holds app/_server/studies/trial-worker.mjs and the engine sources). */
  root: string;
}

interface Thread {
  worker: Worker;
  /** Trial running on it (at most one), with its settle functions. */
  busy: { taskId: number; resolve(outcome: TrialOutcome): void; reject(error: Error): void } | null;
  /** Sessions waiting for this thread's `opened`. */
  opening: Map<number, { resolve(): void; reject(error: Error): void }>;
  dead: Error | null;
}

/** The pool: a TrialRunner plus start/stop for the root's lifecycle. */
export type TrialWorkerPool = TrialRunner & BackgroundWorker;

/** Builds the pool (no thread starts before the first study). */
export function createTrialWorkerPool(config: TrialWorkerPoolConfig, deps: { logger: Logger }): TrialWorkerPool {
  if (!Number.isInteger(config.size) || config.size < 1) throw new Error(`trial pool size must be a whole number >= 1, got ${config.size}`);
  const entry = path.join(config.root, 'app/_server/studies/trial-worker.mjs');
  let threads: Thread[] = [];
  let stopped = false;
  let nextSession = 0;
  let nextTask = 0;
  /**
   * Trials of every session waiting for a free thread, first come first served: a thread a trial
   * releases goes to the first waiter whose session is open on it, whichever session that is (so
   * sessions running at once, e.g. two studies or two Inngest steps, share the threads).
   */
  const waiting: { threads: Thread[]; resolve(thread: Thread): void; reject(error: Error): void }[] = [];
  const release = (thread: Thread) => {
    thread.busy = null;
    if (thread.dead) {
      for (let i = waiting.length - 1; i >= 0; i--) {
        if (waiting[i].threads.every((t) => t.dead)) waiting.splice(i, 1)[0].reject(thread.dead);
      }
      return;
    }
    const next = waiting.findIndex((waiter) => waiter.threads.includes(thread));
    if (next >= 0) waiting.splice(next, 1)[0].resolve(thread);
  };

  function spawn(): Thread {
    // The constructor is looked up at run time: a bundler that sees `new Worker(path)` (Turbopack in
    // `next build`) rewrites it to a worker chunk of its own, while the entry must be the .mjs file on disk.
    const { Worker: WorkerThread } = process.getBuiltinModule('node:worker_threads');
    const worker: Worker = new WorkerThread(entry, { workerData: { root: config.root } });
    const thread: Thread = { worker, busy: null, opening: new Map(), dead: null };
    const fail = (error: Error) => {
      if (thread.dead) return;
      thread.dead = error;
      thread.busy?.reject(error);
      for (const waiting of thread.opening.values()) waiting.reject(error);
      thread.opening.clear();
    };
    worker.on('message', (message: TrialWorkerReply) => {
      switch (message.type) {
        case 'opened':
          thread.opening.get(message.sessionId)?.resolve();
          thread.opening.delete(message.sessionId);
          return;
        case 'open-failed':
          thread.opening.get(message.sessionId)?.reject(errorOf(message.error));
          thread.opening.delete(message.sessionId);
          return;
        case 'result':
        case 'failed': {
          const busy = thread.busy;
          if (!busy || busy.taskId !== message.taskId) return;
          // The thread stays reserved until the trial's caller releases it.
          if (message.type === 'result') busy.resolve(message.outcome);
          else busy.reject(errorOf(message.error));
          return;
        }
      }
    });
    worker.on('error', (error: unknown) => {
      deps.logger.error({ err: error }, 'a study trial thread failed');
      fail(error instanceof Error ? error : new Error(String(error)));
    });
    worker.on('exit', (code) => fail(new Error(`a study trial thread exited (code ${code})`)));
    return thread;
  }

  function live(): Thread[] {
    if (stopped) throw new Error('the study trial pool is stopped');
    threads = threads.filter((thread) => !thread.dead);
    while (threads.length < config.size) threads.push(spawn());
    return threads;
  }

  return {
    name: 'study-trial-pool',
    parallelism: config.size,
    async start() {
      // Threads start with the first study: a server that runs none pays nothing.
    },
    async stop() {
      stopped = true;
      const closing = threads;
      threads = [];
      await Promise.all(closing.map((thread) => thread.worker.terminate().catch(() => undefined)));
    },
    async open(input): Promise<TrialSession> {
      const sessionId = ++nextSession;
      const mine = live();
      const buffers = sharedBuffersOf(input.columns);
      try {
        await Promise.all(
          mine.map(
            (thread) =>
              new Promise<void>((resolve, reject) => {
                thread.opening.set(sessionId, { resolve, reject });
                const message: TrialWorkerRequest = { type: 'open', sessionId, setup: input.setup, strategy: input.strategy, length: input.columns.length, buffers, models: input.models ?? [] };
                thread.worker.postMessage(message);
              }),
          ),
        );
      } catch (error) {
        // Threads that did open drop the session again.
        for (const thread of mine) if (!thread.dead) thread.worker.postMessage({ type: 'close', sessionId } satisfies TrialWorkerRequest);
        throw error;
      }
      const reserve = (thread: Thread): Thread => {
        thread.busy = { taskId: 0, resolve: () => undefined, reject: () => undefined };
        return thread;
      };
      /** A free thread, reserved for the caller at once (so two callers never get the same one). */
      const acquire = (): Promise<Thread> => {
        const free = mine.find((thread) => !thread.busy && !thread.dead);
        if (free) return Promise.resolve(reserve(free));
        const dead = mine.find((thread) => thread.dead);
        if (dead && mine.every((thread) => thread.dead)) return Promise.reject(dead.dead);
        return new Promise((resolve, reject) => waiting.push({ threads: mine, resolve: (thread) => resolve(reserve(thread)), reject }));
      };
      return {
        async run(task) {
          const thread = await acquire();
          const taskId = ++nextTask;
          try {
            if (thread.dead) throw thread.dead;
            return await new Promise<TrialOutcome>((resolve, reject) => {
              thread.busy = { taskId, resolve, reject };
              const message: TrialWorkerRequest = { type: 'run', sessionId, taskId, task };
              thread.worker.postMessage(message);
            });
          } finally {
            release(thread);
          }
        },
        async close() {
          for (const thread of mine) if (!thread.dead) thread.worker.postMessage({ type: 'close', sessionId } satisfies TrialWorkerRequest);
        },
      };
    },
  };
}

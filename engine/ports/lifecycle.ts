/** A background worker the engine starts and stops with its own lifecycle. */
export interface BackgroundWorker {
  readonly name: string;
  start(): void | Promise<void>;
  stop(): Promise<void>;
}

/**
 * Lifecycle port: background workers the engine starts and stops with itself.
 * engine/ports holds every interface the engine needs from outside; it imports only engine/core and other ports.
 */
/** A background worker the engine starts and stops with its own lifecycle. */
export interface BackgroundWorker {
  readonly name: string;
  start(): void | Promise<void>;
  stop(): Promise<void>;
}

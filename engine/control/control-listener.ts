/**
 * The control listener: one per process. It acts on control messages at once (instead of at the next
 * candle or poll) and acknowledges what it did in the ack store; on every (re)connect it re-reads all
 * state, so a message lost while disconnected delays a command but never loses it.
 *
 * Who acknowledges: a process that holds the account (halt, resume, settings), runs the session (stop,
 * alert) or has a model loaded (deploy); every process with a strategy catalog (rule strategies changed). A
 * process with nothing to act on stays silent, and the
 * sender's own messages are skipped (it acted before sending).
 */
import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import type { BackgroundWorker } from '../ports/lifecycle';
import { ControlKind, ControlOutcome, type AccountCommandBody, type ControlAckStore, type ControlAlert, type ControlBus, type ControlMessage } from '../ports/control-bus';

/** What the listener drives; each part is optional (a process without live sessions has no `sessions`). */
export interface ControlListenerDeps {
  bus: ControlBus;
  acks: ControlAckStore;
  clock: Clock;
  logger: Logger;
  accounts: {
    /** Re-reads the risk state of the accounts loaded here (all when `accountId` is null); returns the ids it read. */
    syncLoaded(accountId: string | null): Promise<string[]>;
    /** Reloads an account's settings when it is loaded here; false when it is not. */
    refresh(accountId: string): Promise<boolean>;
    /** Carries out a forwarded manual order or force exit when this process runs the account's sessions; null when it does not. */
    runCommand?(message: { accountId: string; actor: string; command: AccountCommandBody }): Promise<{ outcome: ControlOutcome; detail: string } | null>;
  };
  sessions?: {
    /** Ids of the sessions running here on `accountId` (every one when null). */
    runningHere(accountId: string | null): string[];
    /** Stops a session when it runs here; false when it does not. */
    stopHere(sessionId: string): Promise<boolean>;
    /** Stops every session running here whose record asks to stop; returns their ids. */
    stopRequested(): Promise<string[]>;
    /** Hands an alert to a session running here; false when it does not run here or refused it. */
    routeHere(sessionId: string, alert: ControlAlert): boolean;
  };
  models?: {
    /** Loads the active version of every kind whose active version changed; returns `kind@vN` labels loaded. */
    syncActive(): Promise<string[]>;
  };
  strategies?: {
    /**
     * Re-reads the stored rule strategies into this process's catalog when any differs from it (the reload run at
     * engine start); returns what changed (`name v2`, `name removed`), empty when the catalog was current.
     */
    syncRules(): Promise<string[]>;
  };
}

/** The listener as a background worker: `start` subscribes (resolves once listening), `stop` unsubscribes. */
export type ControlListener = BackgroundWorker;

/** Builds the listener. */
export function createControlListener(deps: ControlListenerDeps): ControlListener {
  let unsubscribe: (() => Promise<void>) | null = null;

  async function ack(message: ControlMessage, outcome: ControlOutcome, detail: string): Promise<void> {
    await deps.acks.record({ messageId: message.id, processId: deps.bus.processId, kind: message.kind, outcome, detail, atMs: deps.clock.nowMs() });
  }

  /** What this process did with the message, or null when it had nothing to act on. */
  async function act(message: ControlMessage): Promise<string | null> {
    switch (message.kind) {
      case ControlKind.Halt:
      case ControlKind.Resume: {
        const synced = await deps.accounts.syncLoaded(message.accountId);
        if (synced.length === 0) return null;
        const sessions = synced.flatMap((accountId) => deps.sessions?.runningHere(accountId) ?? []);
        return `risk state re-read for ${synced.map((a) => `"${a}"`).join(', ')}; sessions here: ${sessions.length ? sessions.join(', ') : 'none'}`;
      }
      case ControlKind.SettingsChanged:
        return (await deps.accounts.refresh(message.accountId)) ? `account "${message.accountId}" reloaded` : null;
      case ControlKind.StopSession:
        return (await deps.sessions?.stopHere(message.sessionId)) ? `session ${message.sessionId} stopped` : null;
      case ControlKind.ExternalAlert:
        return deps.sessions?.routeHere(message.sessionId, message.alert) ? `alert handed to session ${message.sessionId}` : null;
      case ControlKind.ModelDeployed: {
        if (!deps.models) return null;
        const loaded = await deps.models.syncActive();
        return loaded.length ? `loaded ${loaded.join(', ')}` : null;
      }
      case ControlKind.StrategiesChanged: {
        if (!deps.strategies) return null;
        const changed = await deps.strategies.syncRules();
        return changed.length ? `rule strategies reloaded: ${changed.join(', ')}` : `rule strategies re-read; the catalog already had "${message.name}" version ${message.version}`;
      }
      case ControlKind.AccountCommand:
        return null; // answered in onMessage
    }
  }

  async function onMessage(message: ControlMessage): Promise<void> {
    if (message.origin === deps.bus.processId) return;
    if (message.kind === ControlKind.AccountCommand) {
      // The holder answers with the command's own outcome (its result, or the error to throw in the sender).
      const answer = (await deps.accounts.runCommand?.(message).catch((error: unknown) => ({ outcome: ControlOutcome.Failed, detail: error instanceof Error ? error.message : String(error) }))) ?? null;
      if (answer === null) return;
      deps.logger.info({ message: message.id, kind: message.kind, from: message.origin, account: message.accountId, op: message.command.op, outcome: answer.outcome }, 'control bus: carried out an account command');
      await ack(message, answer.outcome, answer.detail);
      return;
    }
    let detail: string | null;
    try {
      detail = await act(message);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      deps.logger.error({ err: error, message: message.id, kind: message.kind }, 'control bus: acting on a message failed');
      await ack(message, ControlOutcome.Failed, reason);
      return;
    }
    if (detail === null) return;
    deps.logger.info({ message: message.id, kind: message.kind, from: message.origin, detail }, 'control bus: acted on a message');
    await ack(message, ControlOutcome.Applied, detail);
  }

  /** Everything a message could have said, read from the database. */
  async function onConnect(): Promise<void> {
    // Each loaded account's sync re-reads its halt, settings and limits (a lost `settings-changed` included).
    const accounts = await deps.accounts.syncLoaded(null);
    const stopped = (await deps.sessions?.stopRequested()) ?? [];
    const models = (await deps.models?.syncActive()) ?? [];
    // A rule strategy saved while disconnected (its `strategies-changed` lost) joins the catalog now.
    const rules = (await deps.strategies?.syncRules()) ?? [];
    deps.logger.info({ process: deps.bus.processId, accounts, stopped, models, rules }, 'control bus: listening; state re-read');
  }

  return {
    name: 'control-bus',
    async start() {
      if (unsubscribe) return;
      unsubscribe = await deps.bus.subscribe({ onMessage, onConnect });
    },
    async stop() {
      const current = unsubscribe;
      unsubscribe = null;
      await current?.();
    },
  };
}

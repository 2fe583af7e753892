/**
 * Control bus port: commands every process of one installation must act on at once (halt, resume,
 * stop a session, settings changed, model deployed, rule strategies changed, an outside alert for a session's market).
 * engine/ports holds every interface the engine needs from outside; it imports only engine/core and other ports.
 *
 * The database is the truth: a sender writes the state first and then publishes. A message only
 * makes listeners act now instead of at their next poll or candle; a lost message delays a command
 * but never loses it, because every listener re-reads all state whenever it (re)connects.
 */

/** What a control message asks for. */
export const ControlKind = {
  /** An account (or every account, `accountId` null) was halted: owners re-read the account's risk state. */
  Halt: 'halt',
  /** An account (or every account) was resumed: owners re-read the account's risk state. */
  Resume: 'resume',
  /** An operator asked to stop a session (its record says `stopping`): the process running it stops it. */
  StopSession: 'stop-session',
  /** An account's settings or risk limits changed: processes holding the account reload it. */
  SettingsChanged: 'settings-changed',
  /** A model version was deployed or rolled back: processes load the active version. */
  ModelDeployed: 'model-deployed',
  /**
   * A rule strategy was saved (a new name, or a new version of one): every process re-reads the stored rule
   * strategies into its strategy catalog, so its next run, session or listing uses the stored version.
   */
  StrategiesChanged: 'strategies-changed',
  /** An outside alert for a market whose session runs in another process: that process routes it. */
  ExternalAlert: 'external-alert',
  /**
   * A manual order or force exit on a paper account whose sessions run in another process: the process holding them
   * (the account's one writer) carries it out on its copy of the account and answers in its acknowledgement.
   */
  AccountCommand: 'account-command',
} as const;
export type ControlKind = (typeof ControlKind)[keyof typeof ControlKind];

/** An outside alert as a session takes it; `stopHint` null when the alert gave none. */
export interface ControlAlert {
  exchange?: string;
  symbol: string;
  side: 'long' | 'short' | 'flat';
  /** 0..1. */
  strength: number;
  stopHint: number | null;
}

/** What an {@link ControlKind.AccountCommand} asks of the account: a force exit (`close`) or a manual order (`order`, as sent). */
export type AccountCommandBody = { op: 'close'; symbol: string; amount?: number } | { op: 'order'; order: unknown };

/** One command. */
export type ControlCommand =
  | { kind: typeof ControlKind.Halt | typeof ControlKind.Resume; accountId: string | null }
  | { kind: typeof ControlKind.StopSession; sessionId: string }
  | { kind: typeof ControlKind.SettingsChanged; accountId: string }
  | { kind: typeof ControlKind.ModelDeployed; modelKind: string; version: number }
  | { kind: typeof ControlKind.StrategiesChanged; name: string; version: number }
  | { kind: typeof ControlKind.ExternalAlert; sessionId: string; alert: ControlAlert }
  | { kind: typeof ControlKind.AccountCommand; accountId: string; actor: string; command: AccountCommandBody };

/** A command as sent: with a unique id, the sender's process id and the send time (epoch ms). */
export type ControlMessage = ControlCommand & { id: string; origin: string; sentAtMs: number };

/** What a listener does with messages. Both handlers are awaited one message at a time. */
export interface ControlSubscriber {
  onMessage(message: ControlMessage): Promise<void>;
  /** Runs when the subscription is ready: first connect and every reconnect (re-read all state here). */
  onConnect(): Promise<void>;
}

/** Publish/subscribe of control messages between every process on one database. */
export interface ControlBus {
  /** This process's id (the `origin` of what it publishes). */
  readonly processId: string;
  /** Sends a command to every subscribed process (this one included). @throws ValidationError for a malformed command. */
  publish(command: ControlCommand): Promise<ControlMessage>;
  /** Subscribes; resolves once listening; returns the unsubscribe. Malformed messages are logged and never reach `onMessage`. */
  subscribe(subscriber: ControlSubscriber): Promise<() => Promise<void>>;
}

/** The part of the bus senders need. */
export type ControlPublisher = Pick<ControlBus, 'publish'>;

/**
 * Raw notifications on one channel (PostgreSQL LISTEN/NOTIFY, or an in-memory hub). A transport
 * that reconnects calls `onListen` again after every reconnect.
 */
export interface NotifyTransport {
  listen(onPayload: (payload: string) => void, onListen: () => void): Promise<() => Promise<void>>;
  notify(payload: string): Promise<void>;
}

/** What an owner did with a message. */
export const ControlOutcome = {
  /** The process acted (state re-read, session stopped, alert routed, model loaded). */
  Applied: 'applied',
  /** The process tried and failed (`detail` says why). */
  Failed: 'failed',
} as const;
export type ControlOutcome = (typeof ControlOutcome)[keyof typeof ControlOutcome];

/** An owner's acknowledgement of one message (one per message and process). */
export interface ControlAck {
  messageId: string;
  processId: string;
  kind: ControlKind;
  outcome: ControlOutcome;
  /** What was acted on (e.g. `account default halted; sessions replay:default:...`), or the failure. */
  detail: string;
  /** Epoch ms. */
  atMs: number;
}

/** Where acknowledgements are stored (the `control_acks` table). */
export interface ControlAckStore {
  /** Records an ack; a second ack of the same message by the same process replaces the first. */
  record(ack: ControlAck): Promise<void>;
  /** The acks of one message, oldest first. */
  list(messageId: string): Promise<ControlAck[]>;
}

/**
 * The control bus over a notification transport (PostgreSQL LISTEN/NOTIFY, or the in-memory hub that
 * tests and single-process setups use): messages are JSON, validated with zod on both ends. A
 * malformed notification (not JSON, unknown kind, a missing field) is logged and ignored: it never
 * reaches a subscriber and never throws into the transport.
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors';
import { parseOrThrow } from '../core/validation';
import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import { ControlKind, type ControlAck, type ControlAckStore, type ControlBus, type ControlCommand, type ControlMessage, type NotifyTransport } from '../ports/control-bus';

/**
 * Largest payload sent, bytes: PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; the margin
 * leaves room for a driver's framing.
 */
export const MAX_CONTROL_PAYLOAD_BYTES = 7_900;

const id = z.string().min(1).max(200);
const accountId = z.string().min(1).max(100);

const commandSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.enum([ControlKind.Halt, ControlKind.Resume]), accountId: accountId.nullable() }),
  z.strictObject({ kind: z.literal(ControlKind.StopSession), sessionId: id }),
  z.strictObject({ kind: z.literal(ControlKind.SettingsChanged), accountId }),
  z.strictObject({ kind: z.literal(ControlKind.ModelDeployed), modelKind: z.string().min(1).max(100), version: z.number().int().positive() }),
  // The rule saved (what the acks and logs name); receivers re-read every stored rule, not just this one.
  z.strictObject({ kind: z.literal(ControlKind.StrategiesChanged), name: z.string().min(1).max(200), version: z.number().int().positive() }),
  z.strictObject({
    kind: z.literal(ControlKind.ExternalAlert),
    sessionId: id,
    alert: z.strictObject({
      exchange: z.string().min(1).max(100).optional(),
      symbol: z.string().min(1).max(100),
      side: z.enum(['long', 'short', 'flat']),
      strength: z.number().min(0).max(1),
      stopHint: z.number().finite().nullable(),
    }),
  }),
  z.strictObject({
    kind: z.literal(ControlKind.AccountCommand),
    accountId,
    actor: z.string().min(1).max(320),
    command: z.discriminatedUnion('op', [
      z.strictObject({ op: z.literal('close'), symbol: z.string().min(1).max(100), amount: z.number().optional() }),
      // The order as the operator sent it: the holder's account book parses it, naming any bad field.
      z.strictObject({ op: z.literal('order'), order: z.unknown() }),
    ]),
  }),
]);

const envelopeSchema = z.object({ id, origin: id, sentAtMs: z.number().int().nonnegative() });

/**
 * Parses one notification payload. Returns the message, or the reason it is malformed.
 * Never throws.
 */
export function parseControlMessage(payload: string): { ok: true; message: ControlMessage } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) return { ok: false, reason: `bad envelope: ${envelope.error.issues[0].path.join('.') || 'message'}: ${envelope.error.issues[0].message}` };
  const { id: _id, origin: _origin, sentAtMs: _sentAtMs, ...rest } = json as Record<string, unknown>;
  const command = commandSchema.safeParse(rest);
  if (!command.success) return { ok: false, reason: `bad command: ${command.error.issues[0].path.join('.') || 'kind'}: ${command.error.issues[0].message}` };
  return { ok: true, message: { ...command.data, ...envelope.data } as ControlMessage };
}

export interface ControlBusDeps {
  transport: NotifyTransport;
  clock: Clock;
  logger: Logger;
  /** This process's id (stamped as `origin` on what it sends). */
  processId: string;
  newId: () => string;
}

/**
 * Builds the bus over a transport. Each subscriber gets messages one at a time, in arrival order;
 * a subscriber that throws is logged and keeps its subscription.
 */
export function createControlBus(deps: ControlBusDeps): ControlBus {
  return {
    processId: deps.processId,
    async publish(command: ControlCommand) {
      const parsed = parseOrThrow(commandSchema, command, { root: 'command' }) as ControlCommand;
      const message = { ...parsed, id: deps.newId(), origin: deps.processId, sentAtMs: deps.clock.nowMs() } as ControlMessage;
      const payload = JSON.stringify(message);
      const bytes = new TextEncoder().encode(payload).length;
      if (bytes > MAX_CONTROL_PAYLOAD_BYTES) throw new ValidationError('command', command.kind, `a control message of ${bytes} bytes is over the ${MAX_CONTROL_PAYLOAD_BYTES}-byte limit`);
      await deps.transport.notify(payload);
      return message;
    },
    async subscribe(subscriber) {
      // One queue per subscriber: a reconnect's re-read and the messages after it run in order.
      let queue: Promise<void> = Promise.resolve();
      let active = true;
      const enqueue = (what: string, run: () => Promise<void>) => {
        queue = queue.then(async () => {
          if (!active) return;
          try {
            await run();
          } catch (error) {
            deps.logger.error({ err: error, process: deps.processId }, `control bus: handling ${what} failed`);
          }
        });
      };
      const unlisten = await deps.transport.listen(
        (payload) => {
          const parsed = parseControlMessage(payload);
          if (!parsed.ok) {
            deps.logger.warn({ process: deps.processId, reason: parsed.reason, payload: payload.slice(0, 200) }, 'control bus: ignored a malformed message');
            return;
          }
          enqueue(`a ${parsed.message.kind} message`, () => subscriber.onMessage(parsed.message));
        },
        () => enqueue('a (re)connect', () => subscriber.onConnect()),
      );
      return async () => {
        active = false;
        await unlisten();
        await queue;
      };
    },
  };
}

/** An in-memory notification channel shared by every bus built on it (tests; one process). */
export interface InMemoryNotifyHub {
  /** A transport on the hub (one per process in tests). */
  transport(): NotifyTransport & {
    /** Drops the connection and reconnects: messages sent in between are lost, `onListen` runs again. */
    reconnect(): void;
    /** While true, messages sent to the hub do not reach this transport (a dropped connection). */
    disconnected: boolean;
  };
}

/** Creates an in-memory hub: `notify` delivers to every listening transport on a later microtask. */
export function createInMemoryNotifyHub(): InMemoryNotifyHub {
  const listeners = new Set<{ deliver(payload: string): void }>();
  return {
    transport() {
      const mine = new Set<{ onPayload: (p: string) => void; onListen: () => void }>();
      const transport = {
        disconnected: false,
        async listen(onPayload: (payload: string) => void, onListen: () => void) {
          const entry = { onPayload, onListen };
          mine.add(entry);
          const endpoint = { deliver: (payload: string) => void (!transport.disconnected && mine.has(entry) && onPayload(payload)) };
          listeners.add(endpoint);
          queueMicrotask(onListen);
          return async () => {
            mine.delete(entry);
            listeners.delete(endpoint);
          };
        },
        async notify(payload: string) {
          for (const endpoint of [...listeners]) queueMicrotask(() => endpoint.deliver(payload));
        },
        reconnect() {
          transport.disconnected = false;
          for (const entry of mine) queueMicrotask(entry.onListen);
        },
      };
      return transport;
    },
  };
}

/** Acknowledgements kept in memory (tests, and engines built without a database). */
export function createInMemoryControlAckStore(): ControlAckStore {
  const acks = new Map<string, ControlAck>();
  return {
    async record(ack) {
      acks.set(`${ack.messageId}\u0000${ack.processId}`, { ...ack });
    },
    async list(messageId) {
      return [...acks.values()].filter((a) => a.messageId === messageId).sort((a, b) => a.atMs - b.atMs);
    },
  };
}

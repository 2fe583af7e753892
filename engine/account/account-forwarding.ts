/**
 * One writer per paper account across processes. The sessions of a paper account run in one trader (the lease
 * rule of engine/ports/live-sessions.ts), whose in-memory copy of the account (wallet, positions, orders) is the
 * truth it stores after every candle. Another process (a `web` server, a CLI) acting on its own copy would trade on
 * a stale wallet and its write would be overwritten by the trader's next one (or overwrite the trader's fills). So a
 * manual order or force exit on an account held elsewhere is sent to the holder over the control bus
 * ({@link ControlKind.AccountCommand}); the holder carries it out on its copy, through the same account book code,
 * and answers in its acknowledgement: the result, or the error to throw here (field and value kept).
 */
import { EngineError, NotFoundError, ValidationError } from '../core/errors';
import { ControlKind, ControlOutcome, type AccountCommandBody, type ControlAckStore, type ControlPublisher } from '../ports/control-bus';

/** How long a forwarded command waits for the holder's answer by default, ms. */
export const DEFAULT_FORWARD_TIMEOUT_MS = 10_000;

/** How often the acknowledgements are read while waiting, ms. */
const POLL_MS = 25;

/**
 * The holder of an account did not answer a forwarded command in time (it may be stopping, stalled, or its
 * listening connection down). The command may still be carried out: the message says to check before resending.
 */
export class AccountHolderUnavailableError extends EngineError {
  readonly accountId: string;
  constructor(accountId: string, holder: string, waitedMs: number) {
    super(
      'account_holder_unavailable',
      `account "${accountId}" is traded by sessions in another process (${holder}), which did not answer within ${Math.round(waitedMs / 1000)} s: ` +
        `the order may or may not have been carried out; check the account's positions and orders before sending it again, or stop its sessions and retry`,
    );
    this.accountId = accountId;
  }

  protected static override ownsCode(code: string): boolean {
    return code === 'account_holder_unavailable';
  }
}

/** An error as the holder answers it. */
type ErrorAnswer = { kind: 'validation'; field: string; value: unknown; message: string } | { kind: 'not-found'; message: string } | { kind: 'other'; message: string };

/** The answer a holder puts in its acknowledgement (JSON). */
export type CommandAnswer = { ok: true; result: unknown } | { ok: false; error: ErrorAnswer };

/** The acknowledgement of a command carried out: outcome and JSON detail (see {@link CommandAnswer}). */
export function answerOf(outcome: { result: unknown } | { error: unknown }): { outcome: ControlOutcome; detail: string } {
  if ('result' in outcome) return { outcome: ControlOutcome.Applied, detail: JSON.stringify({ ok: true, result: outcome.result } satisfies CommandAnswer) };
  const error = outcome.error;
  const answer: ErrorAnswer =
    error instanceof ValidationError
      ? { kind: 'validation', field: error.field, value: error.value, message: error.message }
      : error instanceof NotFoundError
        ? { kind: 'not-found', message: error.message }
        : { kind: 'other', message: error instanceof Error ? error.message : String(error) };
  return { outcome: ControlOutcome.Failed, detail: JSON.stringify({ ok: false, error: answer } satisfies CommandAnswer) };
}

/** The error a holder answered, as thrown here: a ValidationError keeps its field, value and message; a NotFoundError its message. */
function errorOf(answer: ErrorAnswer, accountId: string): Error {
  switch (answer.kind) {
    case 'validation': {
      const prefix = `field "${answer.field}" was ${JSON.stringify(answer.value) ?? String(answer.value)}: `;
      return new ValidationError(answer.field, answer.value, answer.message.startsWith(prefix) ? answer.message.slice(prefix.length) : answer.message);
    }
    case 'not-found':
      return new NotFoundError(answer.message);
    case 'other':
      return new Error(`the process holding account "${accountId}" failed to carry out the command: ${answer.message}`);
  }
}

export interface ForwardDeps {
  control: ControlPublisher;
  acks: Pick<ControlAckStore, 'list'>;
  timeoutMs?: number;
  /** Waits `ms` (tests pass a fake); real time, whatever the trading clock says. */
  sleep?: (ms: number) => Promise<void>;
  /** Real elapsed time, ms (the deadline's clock). */
  nowMs?: () => number;
}

/**
 * Sends `command` to the process holding `accountId`'s sessions (`holder`, named in the error when it does not answer)
 * and waits for its answer: returns the result it answered, or throws the error it answered.
 * @throws AccountHolderUnavailableError when no answer comes within the timeout.
 */
export async function forwardAccountCommand(deps: ForwardDeps, accountId: string, holder: string, actor: string, command: AccountCommandBody): Promise<unknown> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = deps.nowMs ?? (() => performance.now());
  const timeoutMs = deps.timeoutMs ?? DEFAULT_FORWARD_TIMEOUT_MS;
  const message = await deps.control.publish({ kind: ControlKind.AccountCommand, accountId, actor, command });
  const started = now();
  for (;;) {
    const ack = (await deps.acks.list(message.id)).find((a) => a.kind === ControlKind.AccountCommand);
    if (ack) {
      let answer: CommandAnswer | null = null;
      try {
        answer = JSON.parse(ack.detail) as CommandAnswer;
      } catch {
        answer = null;
      }
      if (answer === null || typeof answer !== 'object') throw new Error(`the process holding account "${accountId}" answered: ${ack.detail}`);
      if (answer.ok) return answer.result;
      throw errorOf(answer.error, accountId);
    }
    if (now() - started >= timeoutMs) throw new AccountHolderUnavailableError(accountId, holder, now() - started);
    await sleep(POLL_MS);
  }
}

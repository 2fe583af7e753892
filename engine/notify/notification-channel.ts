/**
 * The delivery-channel port and the one HTTP helper every channel uses. A channel sends one
 * notification and classifies a failure as retryable (429, 5xx, 408, network error, timeout)
 * or not (other 4xx, a service answer that says it refused); the notifier retries with backoff.
 */
import { EngineError } from '../core/errors';
import type { Clock } from '../core/clock';
import type { NotificationEvent } from '../ports/notifier';
import type { ChannelKind } from './notification-settings';

/** One configured destination. */
export interface NotificationChannel {
  readonly id: string;
  readonly kind: ChannelKind;
  /**
   * Delivers one notification.
   * @throws ChannelDeliveryError (retryable or not); never anything else.
   */
  send(event: NotificationEvent): Promise<void>;
}

/** What channels need: `fetch` (injected so tests and proxies can swap it), a clock, a timeout. */
export interface ChannelDeps {
  fetch: typeof globalThis.fetch;
  clock: Clock;
  /** Per-request timeout, ms (default 10 000). */
  timeoutMs?: number;
}

/** A failed delivery. Messages never contain tokens, secrets or webhook URLs. */
export class ChannelDeliveryError extends EngineError {
  readonly retryable: boolean;
  /** HTTP status, or null for a network error or timeout. */
  readonly status: number | null;
  /** How long the service asked us to wait (429 Retry-After), ms; null when it did not say. */
  readonly retryAfterMs: number | null;
  constructor(message: string, options: { retryable: boolean; status: number | null; retryAfterMs?: number | null; cause?: unknown }) {
    super(options.retryable ? 'notify_retryable' : 'notify_non_retryable', message, { cause: options.cause });
    this.retryable = options.retryable;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs ?? null;
  }

  /** Matched by code: the production build's route and action chunks hold their own copy of this class. */
  protected static override ownsCode(code: string): boolean {
    return code === 'notify_retryable' || code === 'notify_non_retryable';
  }
}

/** Parses a Retry-After header (delta seconds or an HTTP date) into ms from `nowMs`; null when absent or unreadable. */
export function parseRetryAfterMs(header: string | null, nowMs: number): number | null {
  if (!header) return null;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const dateMs = Date.parse(trimmed);
  return Number.isFinite(dateMs) ? Math.max(0, dateMs - nowMs) : null;
}

/** A JSON POST's answer, for the channel to judge. */
export interface PostedResponse {
  status: number;
  text: string;
  retryAfterMs: number | null;
}

/**
 * POSTs `body` as JSON to `url` with a timeout. Resolves with the answer for 2xx; throws a classified
 * ChannelDeliveryError (naming `label`, never the URL) for anything else.
 */
export async function postJson(
  label: string,
  url: string,
  body: string,
  headers: Record<string, string>,
  deps: ChannelDeps,
): Promise<PostedResponse> {
  let response: Response;
  try {
    response = await deps.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
    });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    throw new ChannelDeliveryError(timedOut ? `${label}: no answer within ${deps.timeoutMs ?? 10_000} ms` : `${label}: network error`, {
      retryable: true,
      status: null,
      cause: error,
    });
  }
  const text = await response.text().catch(() => '');
  const retryAfterMs = parseRetryAfterMs(response.headers.get('retry-after'), deps.clock.nowMs());
  if (response.status >= 200 && response.status < 300) return { status: response.status, text, retryAfterMs };
  const retryable = response.status === 429 || response.status === 408 || response.status >= 500;
  throw new ChannelDeliveryError(`${label}: HTTP ${response.status}${text ? ` ${JSON.stringify(text.slice(0, 200))}` : ''}`, {
    retryable,
    status: response.status,
    retryAfterMs: retryAfterMsFromBody(text) ?? retryAfterMs,
  });
}

/** Discord (`retry_after`, seconds) and Telegram (`parameters.retry_after`, seconds) say it in the body. */
function retryAfterMsFromBody(text: string): number | null {
  try {
    const body = JSON.parse(text) as { retry_after?: unknown; parameters?: { retry_after?: unknown } };
    const seconds = body.retry_after ?? body.parameters?.retry_after;
    return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? Math.round(seconds * 1000) : null;
  } catch {
    return null;
  }
}

/**
 * The `[id]` URL segment of a live session (`/live/[id]`, `/api/live/[id]/drift`). Session ids
 * look like `live:binance:BTC/USDT:5m`, so links encode them; Next.js hands pages the segment
 * still percent-encoded and route handlers decoded, so both decode here (ids never contain `%`).
 */
import { z } from 'zod';
import { AppError } from '@/app/_server/auth/app-error';

export const sessionIdParamSchema = z.object({
  id: z.string().trim().min(1, 'expected a live session id such as "live:binance:BTC/USDT:5m"').max(200, 'expected at most 200 characters'),
});

/** `live%3Abinance%3ABTC%2FUSDT%3A5m` -> `live:binance:BTC/USDT:5m`; a value that is not valid percent-encoding is kept as given. */
export function decodeSessionIdSegment(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * Validates the route's `id` param and returns the decoded session id.
 * @throws AppError bad_request:input naming the field and the value.
 */
export function parseSessionIdParam(params: Record<string, string | undefined>): string {
  const raw = params.id === undefined ? undefined : decodeSessionIdSegment(params.id);
  const parsed = sessionIdParamSchema.safeParse({ id: raw });
  if (!parsed.success) {
    const reason = parsed.error.issues.map((issue) => issue.message).join(', ');
    const message = `field "id" was ${JSON.stringify(raw) ?? 'undefined'}: ${reason}`;
    throw new AppError('bad_request:input', message, { id: [message] });
  }
  return parsed.data.id;
}

/** The page path of a session's drift view. */
export const liveSessionHref = (id: string) => `/live/${encodeURIComponent(id)}`;

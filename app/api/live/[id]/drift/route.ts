/**
 * GET /api/live/[id]/drift: live (or paper) session versus a backtest replay of the same period,
 * per trade and totals per cause, exactly as `engine.liveDrift` reports it (viewer).
 * An unknown session or candles that do not cover the session answer 400 naming the field and value.
 */
import { route } from '@/app/_server/auth/gate';
import { parseSessionIdParam } from '@/app/live/_lib/session-id-param';

export const dynamic = 'force-dynamic';

export const GET = route({ role: 'viewer' }, async ({ root, params }) => root.engine.liveDrift(parseSessionIdParam(params)));

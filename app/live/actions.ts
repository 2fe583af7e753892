'use server';
/**
 * Session actions: start (trader; mode `live`, on a real venue, needs an admin) and stop (trader).
 * Modes: `replay` trades the account on stored candles from `from` at `speed` candles per second
 * (offline paper trading), `paper` on live candles with paper fills, `live` on the venue. Sessions
 * run in this server process and resume after a restart.
 */
import { marketSymbolSchema } from '@/engine/core/market-symbol';
import { z } from 'zod';
import { action } from '@/app/_server/auth/gate';
import { AppError } from '@/app/_server/auth/app-error';
import { NotFoundError, ValidationError } from '@/engine/core/errors';
import { ACCOUNT_ID_PATTERN, DEFAULT_ACCOUNT_ID } from '@/engine/account/account-config';
import { MAX_REPLAY_SPEED, liveSessionRequestSchema } from '@/engine/live/live-session-manager';
import { VENUE_IDS } from '@/engine/venues/registry';
import { TIMEFRAME_MS, type Timeframe } from '@/engine/core/types';
import { loopModelsRequestSchema } from '@/engine/decision/loop-models';
import { modelsOfForm } from '@/app/_components/models/model-form';

/** Every timeframe the engine understands, in its order (the API and the CLI start sessions on any of them). */
const TIMEFRAMES = Object.keys(TIMEFRAME_MS) as [Timeframe, ...Timeframe[]];

const blankToUndefined = (v: unknown) => (v === '' || v === null ? undefined : v);

/** The posted form with its `models.*` inputs gathered into the `models` request (see `modelsOfForm`). */
const withModels = (raw: unknown) => {
  if (raw === null || typeof raw !== 'object' || 'models' in raw) return raw;
  const posted = raw as Record<string, unknown>;
  return { ...posted, models: modelsOfForm((name) => posted[name]) };
};

const startSchema = z.preprocess(withModels, z.object({
  mode: z.enum(['replay', 'paper', 'live'], { error: 'pick replay, paper or live' }).default('paper'),
  accountId: z.string().regex(ACCOUNT_ID_PATTERN, 'pick an account').default(DEFAULT_ACCOUNT_ID),
  exchange: z.enum(VENUE_IDS as [string, ...string[]], { error: `pick one of ${VENUE_IDS.join(', ')}` }),
  symbol: z.string().trim().toUpperCase().pipe(marketSymbolSchema),
  timeframe: z.enum(TIMEFRAMES, { error: `pick one of ${TIMEFRAMES.join(', ')}` }),
  strategies: z.preprocess((v) => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []), z.array(z.string().min(1)).min(1, 'pick at least one strategy')),
  /** Replay only: first candle to trade (a date `2024-02-01` or date-time, UTC). */
  from: z.preprocess(blankToUndefined, z.string().trim().optional()),
  /** Replay only: candles per second, or `max`. */
  speed: z.preprocess(
    (v) => (blankToUndefined(v) === undefined ? undefined : v === 'max' ? 'max' : typeof v === 'string' ? Number(v) : v),
    z.union([z.literal('max'), z.number({ error: 'expected candles per second (e.g. 50) or "max"' }).finite().gt(0, 'must be above 0').max(MAX_REPLAY_SPEED, `at most ${MAX_REPLAY_SPEED}`)]).optional(),
  ),
  veto: z.enum(['on', 'off']).default('on'),
  /** The regime, volatility and stop-distance models (each off unless ticked); `deployed` follows deploys. */
  models: loopModelsRequestSchema.optional(),
  /** Live only (the engine refuses cancel elsewhere): what start-up does with foreign open orders on the symbol (adopt: leave and warn; cancel). */
  reconcile: z.preprocess(blankToUndefined, liveSessionRequestSchema.shape.reconcile),
}));

export const startLiveSession = action(
  { role: 'trader', input: startSchema, audit: { action: 'live.start', target: (input) => `${input.exchange} ${input.symbol} ${input.timeframe}` }, revalidate: ['/live'] },
  async ({ root, actor, input }) => {
    if (input.mode === 'live' && actor?.role !== 'admin') {
      throw new AppError('forbidden:auth', 'only an admin can start a session that trades on a real venue; pick replay or paper');
    }
    const replay = input.mode === 'replay';
    if (!replay && (input.from !== undefined || input.speed !== undefined)) {
      const field = input.from !== undefined ? 'from' : 'speed';
      throw new AppError('bad_request:input', `"${field}" applies to replay sessions only: clear it or pick mode replay`, { [field]: ['replay sessions only'] });
    }
    try {
      const state = await root.engine.startLiveSession({
        mode: input.mode,
        accountId: input.accountId,
        exchange: input.exchange,
        symbol: input.symbol,
        timeframe: input.timeframe,
        strategies: input.strategies,
        veto: input.veto,
        ...(input.models === undefined ? {} : { models: input.models }),
        liveTrading: input.mode === 'live',
        reconcile: input.reconcile,
        ...(replay ? { from: input.from, speed: input.speed ?? 50 } : {}),
      });
      return { id: state.id, status: state.status };
    } catch (error) {
      if (error instanceof ValidationError) {
        // A model's error stays on its input (`models.volatility`); other fields on their top-level input.
        const field = error.field.startsWith('models.') ? error.field : error.field.split('.')[0];
        throw new AppError('bad_request:input', error.message, { [field]: [error.message] });
      }
      if (error instanceof NotFoundError) throw new AppError('bad_request:input', error.message, /account/.test(error.message) ? { accountId: [error.message] } : undefined);
      throw new AppError('bad_request:input', `the session could not start: ${error instanceof Error ? error.message : String(error)}`);
    }
  },
);

export const stopLiveSession = action(
  { role: 'trader', input: z.object({ id: z.string().min(1).max(200) }), audit: { action: 'live.stop', target: (input) => input.id }, revalidate: ['/live'] },
  async ({ root, input }) => {
    try {
      const state = await root.engine.stopLiveSession(input.id);
      return { id: state.id, status: state.status };
    } catch (error) {
      if (error instanceof ValidationError) throw new AppError('not_found', error.message);
      throw error;
    }
  },
);

'use server';
/**
 * Live session actions: start (trader; live trading on a real venue needs an admin) and stop
 * (trader). Sessions run in this server process and resume after a restart.
 */
import { z } from 'zod';
import { action } from '@/app/_server/auth/gate';
import { AppError } from '@/app/_server/auth/app-error';
import { ValidationError } from '@/engine/core/errors';
import { STRATEGY_NAMES } from '@/engine/strategies/registry';

const startSchema = z.object({
  exchange: z.enum(['binance', 'binanceusdm']),
  symbol: z.string().trim().toUpperCase().regex(/^[A-Z0-9]+\/[A-Z0-9]+$/, 'expected a market symbol like BTC/USDT'),
  timeframe: z.enum(['1m', '5m', '15m', '1h', '4h', '1d']),
  strategies: z.preprocess((v) => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []), z.array(z.enum(STRATEGY_NAMES)).min(1, 'pick at least one strategy')),
  liveTrading: z.preprocess((v) => v === 'on' || v === true, z.boolean()),
});

export const startLiveSession = action(
  { role: 'trader', input: startSchema, audit: { action: 'live.start', target: (input) => `${input.exchange} ${input.symbol} ${input.timeframe}` }, revalidate: ['/live'] },
  async ({ root, actor, input }) => {
    if (input.liveTrading && actor?.role !== 'admin') {
      throw new AppError('forbidden:auth', 'only an admin can start a session that trades on a real venue');
    }
    try {
      const state = await root.engine.startLiveSession(input);
      return { id: state.id, status: state.status };
    } catch (error) {
      if (error instanceof ValidationError) throw new AppError('bad_request:input', error.message, { [error.field.split('.')[0]]: [error.message] });
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

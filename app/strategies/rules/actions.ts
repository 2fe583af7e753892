'use server';
/**
 * Rule strategy editor actions (trader): create, save a new version, and backtest a saved rule in
 * one click. Saves go through `engine.ruleStrategies` (the same path as the API) and are audited;
 * the backtest is queued through `engine.enqueueBacktest` like the backtest form.
 */
import { z } from 'zod';
import { action } from '@/app/_server/auth/gate';
import { formTimeMs } from '@/app/backtests/_lib/backtest-form-schema';

const ruleInput = z.object({ rule: z.record(z.string(), z.unknown()) });
const summaryOf = (saved: { name: string; version: number }) => ({ name: saved.name, version: saved.version });

export const createRuleStrategyAction = action(
  {
    role: 'trader',
    input: ruleInput,
    audit: { action: 'strategy_rule.create', target: (input) => (typeof input.rule.name === 'string' ? input.rule.name.slice(0, 63) : null) },
    revalidate: ['/strategies'],
  },
  async ({ root, actor, input, audit }) => {
    const saved = await root.engine.ruleStrategies.create(input.rule, actor?.email ?? null);
    audit({ target: saved.name, after: saved });
    return summaryOf(saved);
  },
);

export const updateRuleStrategyAction = action(
  {
    role: 'trader',
    input: ruleInput.extend({ name: z.string().min(1).max(63) }),
    audit: { action: 'strategy_rule.update', target: (input) => input.name },
    revalidate: ['/strategies'],
  },
  async ({ root, actor, input, audit }) => {
    const before = (await root.engine.ruleStrategies.get(input.name)).latest;
    const saved = await root.engine.ruleStrategies.update(input.name, input.rule, actor?.email ?? null);
    audit({ before, after: saved });
    return summaryOf(saved);
  },
);

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date like 2024-01-31');

export const backtestRuleStrategyAction = action(
  {
    role: 'trader',
    input: z.object({ name: z.string().min(1).max(63), market: z.string().min(1, 'pick a market').max(200), from: day, to: day }),
    audit: { action: 'backtest.enqueue', target: (input) => `${input.market} ${input.name}` },
    revalidate: ['/backtests'],
  },
  async ({ root, input }) => {
    const [exchange, symbol, timeframe] = input.market.split(' ');
    const ticketId = await root.engine.enqueueBacktest({ exchange, symbol, timeframe, from: formTimeMs(input.from), to: formTimeMs(input.to), strategies: [input.name] });
    return { ticketId };
  },
);

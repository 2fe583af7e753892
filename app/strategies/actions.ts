'use server';
/**
 * Trading settings and risk controls. Role rules: strategy settings (adapters, parameters,
 * fusion weights, threshold, TTL, cooldown) need `trader`; risk limits and halt/resume need
 * `admin`, since they bound every loss. Every change is audited with its before/after values.
 * Invalid settings come back as `bad_request:input` with one message per field path.
 */
import { z } from 'zod';
import { action } from '@/app/_server/auth/gate';
import { AppError } from '@/app/_server/auth/app-error';
import type { Root } from '@/app/_server/root';

const saveResult = async (
  root: Root,
  update: { strategy?: unknown; risk?: unknown },
  actor: string,
  audit: (d: { before?: unknown; after?: unknown }) => void,
  group: 'strategy' | 'risk',
) => {
  const before = await root.engine.getTradingSettings();
  const result = await root.engine.updateTradingSettings(update, actor);
  if (!result.ok) throw new AppError('bad_request:input', 'some settings are invalid; see the message next to each field', result.fieldErrors);
  audit({ before: before[group], after: result.settings[group] });
  return result.settings;
};

export const saveStrategySettings = action(
  { role: 'trader', input: z.object({ strategy: z.record(z.string(), z.unknown()) }), audit: { action: 'settings.strategy.update', target: () => 'trading.strategy' }, revalidate: ['/strategies'] },
  async ({ root, actor, input, audit }) => saveResult(root, { strategy: input.strategy }, actor?.email ?? 'unknown', audit, 'strategy'),
);

export const saveRiskLimits = action(
  { role: 'admin', input: z.object({ risk: z.record(z.string(), z.unknown()) }), audit: { action: 'settings.risk.update', target: () => 'trading.risk' }, revalidate: ['/strategies', '/'] },
  async ({ root, actor, input, audit }) => saveResult(root, { risk: input.risk }, actor?.email ?? 'unknown', audit, 'risk'),
);

export const haltTrading = action(
  { role: 'admin', input: z.object({ reason: z.string().trim().min(1, 'give a reason for the halt').max(200) }), audit: { action: 'risk.halt', target: () => 'default' }, revalidate: ['/strategies', '/'] },
  async ({ root, input, audit }) => {
    const before = await root.engine.riskStatus();
    const after = await root.engine.halt(input.reason);
    audit({ before: { halted: before.halted, haltReason: before.haltReason }, after: { halted: after.halted, haltReason: after.haltReason } });
    return { halted: after.halted, haltReason: after.haltReason };
  },
);

export const resumeTrading = action(
  { role: 'admin', audit: { action: 'risk.resume', target: () => 'default' }, revalidate: ['/strategies', '/'] },
  async ({ root, audit }) => {
    const before = await root.engine.riskStatus();
    const after = await root.engine.resume();
    audit({ before: { halted: before.halted, haltReason: before.haltReason }, after: { halted: after.halted, haltReason: after.haltReason } });
    return { halted: after.halted, haltReason: after.haltReason };
  },
);

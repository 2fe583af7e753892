'use server';
/**
 * Trading settings and risk controls. Role rules: strategy settings (adapters, parameters,
 * fusion weights, threshold, TTL, cooldown) need `trader`; halt and resume (of the default account, with a
 * reason) need `trader`; risk limits need `admin`, since they bound every loss. Every change is audited with its before/after values.
 * Invalid settings come back as `bad_request:input` with one message per field path.
 */
import { z } from 'zod';
import { action } from '@/app/_server/auth/gate';
import { AppError } from '@/app/_server/auth/app-error';
import type { Root } from '@/app/_server/root';
import { DEFAULT_ACCOUNT_ID } from '@/engine/account/account-config';

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

/**
 * Disables, in the saved strategy group, a strategy that is saved there but does not load now (its file failed to load
 * or was removed): its weight and params stay saved. Runs taking the group are refused while such a strategy is enabled.
 */
export const disableUnloadedStrategy = action(
  { role: 'trader', input: z.object({ name: z.string().min(1).max(200) }), audit: { action: 'settings.strategy.update', target: () => 'trading.strategy' }, revalidate: ['/strategies'] },
  async ({ root, actor, input, audit }) => {
    const current = (await root.engine.getTradingSettings()).strategy;
    const strategy = { ...current, adapters: { ...current.adapters, [input.name]: { enabled: false } } };
    await saveResult(root, { strategy }, actor?.email ?? 'unknown', audit, 'strategy');
    return { disabled: input.name };
  },
);

export const saveRiskLimits = action(
  { role: 'admin', input: z.object({ risk: z.record(z.string(), z.unknown()) }), audit: { action: 'settings.risk.update', target: () => 'trading.risk' }, revalidate: ['/strategies', '/'] },
  async ({ root, actor, input, audit }) => saveResult(root, { risk: input.risk }, actor?.email ?? 'unknown', audit, 'risk'),
);

const haltReason = z.string().trim().min(1, 'give a reason (it is shown with the halt and kept in the audit log)').max(500, 'at most 500 characters');

/** Halts the default account (the same engine method as the Accounts page and `POST /api/v1/accounts/default/halt`). */
export const haltTrading = action(
  { role: 'trader', input: z.object({ reason: haltReason }), audit: { action: 'account.halt', target: () => DEFAULT_ACCOUNT_ID }, revalidate: ['/strategies', '/', '/accounts'] },
  async ({ root, input, audit }) => {
    const before = await root.engine.accounts.riskStatus(DEFAULT_ACCOUNT_ID);
    const after = await root.engine.accounts.halt(DEFAULT_ACCOUNT_ID, input.reason);
    audit({ before: { halted: before.halted, haltReason: before.haltReason }, after: { halted: after.halted, haltReason: after.haltReason, reason: input.reason } });
    return { halted: after.halted, haltReason: after.haltReason };
  },
);

/** Resumes the default account; the reason goes to the audit log. */
export const resumeTrading = action(
  { role: 'trader', input: z.object({ reason: haltReason }), audit: { action: 'account.resume', target: () => DEFAULT_ACCOUNT_ID }, revalidate: ['/strategies', '/', '/accounts'] },
  async ({ root, input, audit }) => {
    const before = await root.engine.accounts.riskStatus(DEFAULT_ACCOUNT_ID);
    const after = await root.engine.accounts.resume(DEFAULT_ACCOUNT_ID);
    audit({ before: { halted: before.halted, haltReason: before.haltReason }, after: { halted: after.halted, haltReason: after.haltReason, reason: input.reason } });
    return { halted: after.halted, haltReason: after.haltReason };
  },
);

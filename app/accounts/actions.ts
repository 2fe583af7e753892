'use server';
/**
 * Account actions. Halt, resume (one account or all) and force exits need `trader`; creating an
 * account and changing its settings or risk limits need `admin`. Every action takes a reason where
 * it changes whether an account may trade, and the audit log keeps it with the before/after state.
 * Each calls one method of the engine's account book.
 */
import { z } from 'zod';
import { action } from '@/app/_server/auth/gate';
import { AppError } from '@/app/_server/auth/app-error';
import { accountIdSchema, accountSettingsObject, venueAccountObject } from '@/engine/account/account-config';
import type { RiskStatus } from '@/engine/risk/risk-desk';
import { nestFormFields, withBlankRiskLimits } from './_lib/form-fields';
import { RISK_LIMIT_FIELDS, RISK_LIMIT_NUMBER_FIELDS } from '@/app/_components/settings/risk-limit-fields';

const accountId = accountIdSchema;
const reason = z.string().trim().min(1, 'give a reason (it is shown with the halt and kept in the audit log)').max(500, 'at most 500 characters');
const haltState = (s: RiskStatus) => ({ halted: s.halted, haltReason: s.haltReason });
const revalidate = ['/accounts', '/', '/strategies', '/live'];

export const haltAccount = action(
  { role: 'trader', input: z.object({ id: accountId, reason }), audit: { action: 'account.halt', target: (input) => input.id }, revalidate },
  async ({ root, input, audit }) => {
    const before = await root.engine.accounts.riskStatus(input.id);
    const after = await root.engine.accounts.halt(input.id, input.reason);
    audit({ before: haltState(before), after: { ...haltState(after), reason: input.reason } });
    return haltState(after);
  },
);

export const resumeAccount = action(
  { role: 'trader', input: z.object({ id: accountId, reason }), audit: { action: 'account.resume', target: (input) => input.id }, revalidate },
  async ({ root, input, audit }) => {
    const before = await root.engine.accounts.riskStatus(input.id);
    const after = await root.engine.accounts.resume(input.id);
    audit({ before: haltState(before), after: { ...haltState(after), reason: input.reason } });
    return haltState(after);
  },
);

export const haltAllAccounts = action(
  { role: 'trader', input: z.object({ reason }), audit: { action: 'accounts.halt', target: () => '*' }, revalidate },
  async ({ root, actor, input, audit }) => {
    const result = await root.engine.accounts.haltAll(input.reason, actor?.email ?? 'unknown');
    audit({ after: { halted: true, reason: input.reason, accounts: result.accounts.map((a) => a.accountId) } });
    return { halted: result.halt.halted, reason: result.halt.reason };
  },
);

export const resumeAllAccounts = action(
  { role: 'trader', input: z.object({ reason }), audit: { action: 'accounts.resume', target: () => '*' }, revalidate },
  async ({ root, actor, input, audit }) => {
    const result = await root.engine.accounts.resumeAll(actor?.email ?? 'unknown');
    audit({ after: { halted: false, reason: input.reason, accounts: result.accounts.map((a) => a.accountId) } });
    return { halted: result.halt.halted };
  },
);

const optionalNumber = z.preprocess((v) => (v === '' || v === undefined || v === null ? undefined : typeof v === 'string' ? Number(v) : v), z.number({ error: 'expected a number' }).finite().gt(0, 'must be above 0').optional());

/** Takes any symbol, not only the market-symbol rule's: see app/api/v1/accounts/[id]/positions/close/operation.ts. */
export const forceExitPosition = action(
  {
    role: 'trader',
    input: z.object({ id: accountId, symbol: z.string().trim().min(1, 'expected a market symbol like BTC/USDT'), amount: optionalNumber }),
    audit: { action: 'account.close-position', target: (input) => `${input.id} ${input.symbol}` },
    revalidate,
  },
  async ({ root, actor, input, audit }) => {
    const result = await root.engine.accounts.closePosition(input.id, { symbol: input.symbol, amount: input.amount }, actor?.email ?? 'unknown');
    audit({ after: { orderId: result.order.id, status: result.order.status, filled: result.order.filled, remaining: result.remaining, decisionId: result.decisionId } });
    if (result.order.status === 'rejected') throw new AppError('conflict', `the exchange rejected the exit: ${result.order.reason ?? 'no reason given'}; try again or close a smaller amount`);
    return { filled: result.order.filled, remaining: result.remaining };
  },
);

const numberFields = ['initialBalance', 'makerFeeBps', 'takerFeeBps', 'spreadBps', 'slippageBps', 'maxVolumeShare', 'leverage'] as const;
const createSchema = z.preprocess(
  (raw) => nestFormFields(raw, numberFields),
  accountSettingsObject.extend({ id: accountId }).strict(),
);

export const createAccount = action(
  { role: 'admin', input: createSchema, audit: { action: 'account.create', target: (input) => input.id }, revalidate },
  async ({ root, actor, input, audit }) => {
    const record = await root.engine.accounts.create(input, actor?.email ?? 'unknown');
    audit({ after: record });
    return { id: record.id };
  },
);

const linkSchema = z.preprocess(
  (raw) => ({ ...(nestFormFields(raw, ['makerFeeBps', 'takerFeeBps', 'leverage']) as object), kind: 'venue' }),
  venueAccountObject.extend({ id: accountId }).strict(),
);

/** Links a venue account: reads the venue wallet with the stored keys (refused, naming `venue`, without keys or enablement). */
export const linkVenueAccount = action(
  { role: 'admin', input: linkSchema, audit: { action: 'account.create', target: (input) => input.id }, revalidate },
  async ({ root, actor, input, audit }) => {
    const record = await root.engine.accounts.create(input, actor?.email ?? 'unknown');
    audit({ after: record });
    return { id: record.id, venue: record.venue, initialBalance: record.settings.initialBalance };
  },
);

const updateSchema = z.preprocess(
  (raw) => withBlankRiskLimits(raw, nestFormFields(raw, [...numberFields.map((f) => `settings.${f}`), ...RISK_LIMIT_NUMBER_FIELDS.map((f) => `risk.${f}`)]), RISK_LIMIT_FIELDS),
  z.object({ id: accountId, settings: z.record(z.string(), z.unknown()).optional(), risk: z.record(z.string(), z.unknown()).optional() }),
);

export const updateAccount = action(
  { role: 'admin', input: updateSchema, audit: { action: 'account.settings', target: (input) => input.id }, revalidate },
  async ({ root, actor, input, audit }) => {
    const before = await root.engine.accounts.get(input.id);
    const result = await root.engine.accounts.update(input.id, { settings: input.settings, risk: input.risk }, actor?.email ?? 'unknown');
    if (!result.ok) throw new AppError('bad_request:input', 'some settings are invalid; see the message next to each field', result.fieldErrors);
    audit({ before: { settings: before.settings, riskLimits: before.riskLimits }, after: { settings: result.account.settings, riskLimits: result.account.riskLimits } });
    return { id: result.account.id };
  },
);

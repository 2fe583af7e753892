/**
 * The trading settings of the installation: the strategy group (app settings) and the risk group
 * (the default account's risk limits when an account book is wired, else the app settings, applied
 * to the live risk engine). Reads fall back to the defaults; writes are all-or-nothing. Who changed the
 * risk group last comes from where it is stored: the default account's row (see `riskUpdatedOf`).
 */
import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import type { AccountRecord } from '../ports/accounts';
import type { SettingRecord, SettingsRepository } from '../ports/settings';
import type { RiskDesk } from '../risk/risk-desk';
import type { StrategyCatalog } from '../strategies/strategy-catalog';
import type { AccountBook } from './account-book';
import { DEFAULT_ACCOUNT_ID } from './account-config';
import {
  defaultTradingSettings,
  readStoredGroup,
  readStrategySettings,
  SettingsKey,
  validateRiskLimits,
  validateRiskLimitsInput,
  validateStrategySettings,
  type FieldErrors,
  type StoredTradingSettings,
} from '../settings/trading-settings';

/** Result of saving settings: the stored settings, or every invalid field. */
export type UpdateSettingsResult = { ok: true; settings: StoredTradingSettings } | { ok: false; fieldErrors: FieldErrors };

export interface TradingSettingsService {
  /** Both settings groups (defaults where nothing is stored). */
  get(): Promise<StoredTradingSettings>;
  /**
   * Validates and stores the given groups (all-or-nothing: nothing is written when any field is
   * invalid). A new risk group reconfigures the live risk engine. `actor` is recorded as `updated_by`.
   */
  update(update: { strategy?: unknown; risk?: unknown }, actor: string): Promise<UpdateSettingsResult>;
}

export interface TradingSettingsDeps {
  clock: Clock;
  logger: Logger;
  settings?: SettingsRepository;
  /** When given, the risk group is the default account's risk limits. */
  accounts?: AccountBook;
  /** The live risk engine holder (reconfigured by a new risk group when there is no account book). */
  riskDesk: () => Promise<RiskDesk>;
  /** The strategies the group may name (stored names it no longer runs are ignored on read). */
  strategies: StrategyCatalog;
}

export function createTradingSettingsService(deps: TradingSettingsDeps): TradingSettingsService {
  async function get(): Promise<StoredTradingSettings> {
    const defaults = defaultTradingSettings(deps.strategies);
    const [strategyRow, riskRow] = deps.settings ? await Promise.all([deps.settings.get(SettingsKey.Strategy), deps.settings.get(SettingsKey.Risk)]) : [null, null];
    const strategy = readStoredGroup(strategyRow?.value, readStrategySettings(deps.strategies), defaults.strategy);
    const account = deps.accounts ? await deps.accounts.get(DEFAULT_ACCOUNT_ID) : null;
    const riskLimits = deps.accounts
      ? { value: await deps.accounts.riskLimits(DEFAULT_ACCOUNT_ID), valid: true }
      : readStoredGroup(riskRow?.value, validateRiskLimits, defaults.risk);
    if (!strategy.valid) deps.logger.warn({ key: SettingsKey.Strategy }, 'stored strategy settings no longer validate; using the defaults');
    if (!riskLimits.valid) deps.logger.warn({ key: SettingsKey.Risk }, 'stored risk limits no longer validate; using the defaults');
    return {
      strategy: strategy.value,
      risk: riskLimits.value,
      updated: {
        strategy: strategyRow ? { atMs: strategyRow.updatedAtMs, by: strategyRow.updatedBy } : null,
        risk: account ? riskUpdatedOf(account, riskRow) : riskRow ? { atMs: riskRow.updatedAtMs, by: riskRow.updatedBy } : null,
      },
    };
  }

  async function update(update: { strategy?: unknown; risk?: unknown }, actor: string): Promise<UpdateSettingsResult> {
    if (!deps.settings) throw new Error('this engine was built without a settings repository');
    const fieldErrors: FieldErrors = {};
    const strategy = update.strategy === undefined ? null : validateStrategySettings(update.strategy, deps.strategies);
    const riskLimits = update.risk === undefined ? null : validateRiskLimitsInput(update.risk);
    if (strategy && !strategy.ok) Object.assign(fieldErrors, strategy.fieldErrors);
    if (riskLimits && !riskLimits.ok) Object.assign(fieldErrors, riskLimits.fieldErrors);
    if (!strategy && !riskLimits) fieldErrors['(input)'] = ['nothing to save: give strategy and/or risk settings'];
    if (Object.keys(fieldErrors).length > 0) return { ok: false, fieldErrors };
    const atMs = deps.clock.nowMs();
    if (riskLimits?.ok && deps.accounts) {
      // The risk group is the default account's risk limits: one owner.
      const result = await deps.accounts.update(DEFAULT_ACCOUNT_ID, { risk: riskLimits.value }, actor);
      if (!result.ok) return { ok: false, fieldErrors: result.fieldErrors };
    } else if (riskLimits?.ok) {
      const desk = await deps.riskDesk();
      const swap = desk.prepare(riskLimits.value); // throws before anything is written if the engine disagrees
      await deps.settings.put({ key: SettingsKey.Risk, value: riskLimits.value, updatedAtMs: atMs, updatedBy: actor });
      swap();
    }
    if (strategy?.ok) await deps.settings.put({ key: SettingsKey.Strategy, value: strategy.value, updatedAtMs: atMs, updatedBy: actor });
    return { ok: true, settings: await get() };
  }

  return { get, update };
}

/**
 * Who changed the risk group last when it is the default account's limits (risk saves go to the account
 * row, never to the legacy `trading.risk` row): null while the account has no limits of its own (the
 * defaults); the legacy row's save when the account still holds the limits it was created with from
 * that row (never updated since: `updatedBy` null); else the account row's last update. The account
 * row records one time and author for settings and limits together, so a later fee-model change on
 * /accounts moves this line too.
 */
function riskUpdatedOf(account: AccountRecord, legacyRow: SettingRecord | null): { atMs: number; by: string | null } | null {
  if (account.riskLimits === null) return null;
  if (account.updatedBy === null && legacyRow) return { atMs: legacyRow.updatedAtMs, by: legacyRow.updatedBy };
  return { atMs: account.updatedAtMs, by: account.updatedBy };
}

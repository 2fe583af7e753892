/**
 * SettingsRepository contract: the drizzle adapter (PGlite and real PostgreSQL) and the in-memory
 * one behave the same, and a trading-settings round trip through the engine survives a new engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSettingsRepository } from '../../db/repositories/settings-repository';
import { createRiskStateRepository } from '../../db/repositories/risk-state-repository';
import { createAccountRepository } from '../../db/repositories/account-repository';
import type { AccountRepository } from '../../engine/ports/accounts';
import type { RiskStateRepository } from '../../engine/ports/risk-state';
import type { SettingsRepository } from '../../engine/ports/settings';
import {
  createInMemoryAccountRepository,
  createInMemoryCandleRepository,
  createInMemoryJournalRepository,
  createInMemoryRiskStateRepository,
  createInMemorySettingsRepository,
} from '../../engine/testing/in-memory-repositories';
import { createManualClock, silentLogger } from '../../engine/core/clock';
import { createTradingDesk } from '../../engine/desk/trading-desk';
import { defaultTradingSettings } from '../../engine/settings/trading-settings';
import { createAccountBook } from '../../engine/account/account-book';
import { createJournalWriter } from '../../engine/journal/journal-writer';
import { TEST_DATABASE_BACKENDS } from '../support/ml-databases';
import { createBuiltInCatalog } from '../../engine/strategies/built-in-strategies';

const BUILT_INS = createBuiltInCatalog();

interface Backend {
  name: string;
  open(): Promise<{ settings: SettingsRepository; riskState: RiskStateRepository; accounts: AccountRepository; dispose(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'in-memory',
    open: async () => {
      const riskState = createInMemoryRiskStateRepository();
      return { settings: createInMemorySettingsRepository(), riskState, accounts: createInMemoryAccountRepository(riskState), dispose: async () => undefined };
    },
  },
  ...TEST_DATABASE_BACKENDS.map((b) => ({
    name: b.name,
    async open() {
      const { database, dispose } = await b.open();
      return { settings: createSettingsRepository(database.db), riskState: createRiskStateRepository(database.db), accounts: createAccountRepository(database.db), dispose };
    },
  })),
];

const T0 = 1_704_067_200_000;

describe.each(backends)('SettingsRepository on $name', (backend) => {
  let repo: Awaited<ReturnType<Backend['open']>>;
  beforeAll(async () => {
    repo = await backend.open();
  });
  afterAll(async () => {
    await repo.dispose();
  });

  it('returns null for a key never written', async () => {
    expect(await repo.settings.get('missing')).toBeNull();
  });

  it('stores a JSON value and replaces it on the next put', async () => {
    await repo.settings.put({ key: 'k', value: { a: 1, nested: { b: [1, 2] } }, updatedAtMs: T0, updatedBy: 'a@example.test' });
    await repo.settings.put({ key: 'k', value: { a: 2 }, updatedAtMs: T0 + 1, updatedBy: null });
    expect(await repo.settings.get('k')).toEqual({ key: 'k', value: { a: 2 }, updatedAtMs: T0 + 1, updatedBy: null });
  });

  it('keeps saved risk limits and a manual halt for the next engine', async () => {
    const clock = createManualClock(T0);
    const build = async () => {
      const journal = createInMemoryJournalRepository();
      const candles = createInMemoryCandleRepository();
      const journalWriter = createJournalWriter({ batchSize: 10 }, { repository: journal, logger: silentLogger });
      const accounts = createAccountBook({
        clock,
        logger: silentLogger,
        accounts: repo.accounts,
        riskState: repo.riskState,
        settings: repo.settings,
        candles,
        defaultRiskLimits: async () => defaultTradingSettings(BUILT_INS).risk,
        journal: journalWriter,
        newId: () => 'id',
      });
      await accounts.ensureDefault({ name: 'Paper', marketType: 'spot', initialBalance: 1_000, makerFeeBps: 0, takerFeeBps: 0, spreadBps: 0, slippageBps: 0, maxVolumeShare: 1 });
      const runtime = await accounts.runtime('default');
      return createTradingDesk({
        strategies: BUILT_INS,
        clock,
        logger: silentLogger,
        candles,
        journal,
        account: { exchange: runtime.exchange(), marketType: 'spot', marginMode: 'cross' },
        accounts,
        settings: repo.settings,
      });
    };
    const first = await build();
    const risk = { ...defaultTradingSettings(BUILT_INS).risk, maxDrawdownPct: 10 };
    expect((await first.updateTradingSettings({ risk }, 'admin@example.test')).ok).toBe(true);
    await first.halt('audit');
    const second = await build();
    const status = await second.riskStatus();
    expect(status).toMatchObject({ halted: true, haltReason: 'manual: audit', equity: 1_000 });
    expect(status.limits.maxDrawdownPct).toBe(10);
    // drawdown breaker: peak 1,000, trips at 900
    expect(status.breakers[1]).toMatchObject({ tripEquity: 900, headroomEquity: 100 });
  });
});

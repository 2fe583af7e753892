/**
 * StrategyRuleRepository contract: the drizzle adapter (PGlite and real PostgreSQL) and the in-memory
 * one keep every version, answer the latest per name, and refuse a version that exists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStrategyRuleRepository } from '../../db/repositories/strategy-rule-repository';
import type { StrategyRuleRecord, StrategyRuleRepository } from '../../engine/ports/strategy-rules';
import { createInMemoryStrategyRuleRepository } from '../../engine/testing/in-memory-strategy-rule-repository';
import { TEST_DATABASE_BACKENDS } from '../support/ml-databases';

interface Backend {
  name: string;
  open(): Promise<{ repo: StrategyRuleRepository; dispose(): Promise<void> }>;
}

const backends: Backend[] = [
  { name: 'in-memory', open: async () => ({ repo: createInMemoryStrategyRuleRepository(), dispose: async () => undefined }) },
  ...TEST_DATABASE_BACKENDS.map((b) => ({
    name: b.name,
    async open() {
      const { database, dispose } = await b.open();
      return { repo: createStrategyRuleRepository(database.db), dispose };
    },
  })),
];

const T0 = 1_704_067_200_000;
const record = (name: string, version: number, period: number): StrategyRuleRecord => ({
  name,
  version,
  definition: { name, long: { all: [{ left: { indicator: 'sma', period }, op: 'gt', right: { price: 'close' } }] }, stop: { percent: 2 } },
  createdBy: version === 1 ? 'alice@example.com' : null,
  createdAtMs: T0 + version * 1000,
});

describe.each(backends)('StrategyRuleRepository on $name', (backend) => {
  let repo: StrategyRuleRepository;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ repo, dispose } = await backend.open());
  });
  afterAll(async () => {
    await dispose();
  });

  it('starts empty', async () => {
    expect(await repo.latest()).toEqual([]);
    expect(await repo.versions('sma-rule')).toEqual([]);
  });

  it('keeps every version and answers the latest per name, by name', async () => {
    expect(await repo.insert(record('zeta-rule', 1, 10))).toBe(true);
    expect(await repo.insert(record('sma-rule', 1, 20))).toBe(true);
    expect(await repo.insert(record('sma-rule', 2, 30))).toBe(true);
    expect(await repo.latest()).toEqual([record('sma-rule', 2, 30), record('zeta-rule', 1, 10)]);
    expect(await repo.versions('sma-rule')).toEqual([record('sma-rule', 1, 20), record('sma-rule', 2, 30)]);
  });

  it('refuses a version that exists and keeps the stored one', async () => {
    expect(await repo.insert(record('sma-rule', 2, 99))).toBe(false);
    expect((await repo.versions('sma-rule')).map((r) => r.definition)).toEqual([record('sma-rule', 1, 20).definition, record('sma-rule', 2, 30).definition]);
  });
});

/** Drizzle implementation of the engine's StrategyRuleRepository (the `strategy_rules` table): append-only versions. */
import { asc, eq, sql } from 'drizzle-orm';
import type { StrategyRuleRecord, StrategyRuleRepository } from '../../engine/ports/strategy-rules';
import type { Db } from '../client';
import { strategyRules } from '../schema';
import { wrapDriver } from './sql-helpers';

type Row = typeof strategyRules.$inferSelect;

function recordOf(r: Row): StrategyRuleRecord {
  return { name: r.name, version: r.version, definition: r.definition, createdBy: r.createdBy, createdAtMs: Number(r.createdAtMs) };
}

/** Builds the rule strategy repository over a drizzle handle (PGlite or postgres.js). */
export function createStrategyRuleRepository(db: Db): StrategyRuleRepository {
  return {
    async latest() {
      const rows = await wrapDriver('loading rule strategies', () =>
        db
          .selectDistinctOn([strategyRules.name])
          .from(strategyRules)
          .orderBy(asc(strategyRules.name), sql`${strategyRules.version} desc`),
      );
      return rows.map(recordOf);
    },

    async versions(name) {
      const rows = await wrapDriver(`loading the versions of rule strategy "${name}"`, () =>
        db.select().from(strategyRules).where(eq(strategyRules.name, name)).orderBy(asc(strategyRules.version)),
      );
      return rows.map(recordOf);
    },

    async insert(record) {
      const inserted = await wrapDriver(`saving rule strategy "${record.name}" version ${record.version}`, () =>
        db
          .insert(strategyRules)
          .values({ name: record.name, version: record.version, definition: record.definition, createdBy: record.createdBy, createdAtMs: record.createdAtMs })
          .onConflictDoNothing()
          .returning({ version: strategyRules.version }),
      );
      return inserted.length === 1;
    },
  };
}

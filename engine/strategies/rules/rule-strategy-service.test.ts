import { describe, expect, it } from 'vitest';
import { createManualClock, silentLogger } from '../../core/clock';
import { NotFoundError, ValidationError } from '../../core/errors';
import { createInMemoryStrategyRuleRepository } from '../../testing/in-memory-strategy-rule-repository';
import { smaCrossRule } from '../../testing/sma-cross-pair';
import { StrategySource, type CatalogEntry } from '../strategy-catalog';
import { createRuleStrategyService, ruleSourceHash, type RuleCatalogView } from './rule-strategy-service';

/** A catalog holding one built-in and one file strategy, recording what the rule store publishes. */
function fakeCatalog() {
  const entries: CatalogEntry[] = [
    { name: 'ma-crossover', source: StrategySource.BuiltIn, version: '1', sourceHash: 'x', summary: '' },
    { name: 'my-file-strategy', source: StrategySource.File, version: '1.0.0', sourceHash: 'y', summary: '' },
  ];
  const published: CatalogEntry[][] = [];
  const view: RuleCatalogView = {
    list: () => entries,
    replaceSource: (source, next) => {
      expect(source).toBe(StrategySource.Rule);
      published.push(next);
    },
  };
  return { view, published };
}

function setup() {
  const repository = createInMemoryStrategyRuleRepository();
  const clock = createManualClock(1_700_000_000_000);
  const catalog = fakeCatalog();
  const service = createRuleStrategyService({ repository, clock, logger: silentLogger, catalog: () => catalog.view });
  return { repository, clock, catalog, service };
}

describe('createRuleStrategyService', () => {
  it('saves version 1, then version 2, and publishes the active version of each rule to the catalog', async () => {
    const { service, catalog, clock, repository } = setup();
    const first = await service.create(smaCrossRule('sma-cross'), 'alice@example.com');
    expect(first).toEqual({ name: 'sma-cross', version: 1, definition: smaCrossRule('sma-cross'), createdBy: 'alice@example.com', createdAtMs: 1_700_000_000_000 });
    clock.advance(60_000);
    const second = await service.update('sma-cross', { ...smaCrossRule('sma-cross', 5, 20), name: undefined }, 'bob@example.com');
    expect([second.version, second.createdAtMs, second.createdBy]).toEqual([2, 1_700_000_060_000, 'bob@example.com']);
    expect(repository.rows.map((r) => r.version)).toEqual([1, 2]);

    expect(catalog.published).toHaveLength(2);
    const [entry] = catalog.published[1];
    expect(entry).toMatchObject({ name: 'sma-cross', source: 'rule', version: '2', sourceHash: ruleSourceHash(second.definition), summary: 'SMA 5/20 cross, 2 ATR stop' });
    expect(entry.definition?.indicators({})).toEqual({ sma: [5, 20], atr: [14] });
    expect((await service.get('sma-cross')).versions.map((v) => v.version)).toEqual([1, 2]);
  });

  it('refuses a name taken by a built-in, a file or another rule strategy, saving nothing', async () => {
    const { service, repository } = setup();
    await expect(service.create(smaCrossRule('ma-crossover'), null)).rejects.toThrow('field "name" was "ma-crossover": the name "ma-crossover" is taken by a built-in strategy');
    await expect(service.create(smaCrossRule('my-file-strategy'), null)).rejects.toThrow('the name "my-file-strategy" is taken by a file strategy');
    await service.create(smaCrossRule('sma-cross'), null);
    await expect(service.create(smaCrossRule('sma-cross'), null)).rejects.toThrow(ValidationError);
    expect(repository.rows.map((r) => [r.name, r.version])).toEqual([['sma-cross', 1]]);
  });

  it('refuses an update of an unknown name, or one that renames the strategy', async () => {
    const { service, repository } = setup();
    await expect(service.update('nothing-here', smaCrossRule('nothing-here'), null)).rejects.toBeInstanceOf(NotFoundError);
    await service.create(smaCrossRule('sma-cross'), null);
    await expect(service.update('sma-cross', smaCrossRule('other'), null)).rejects.toThrow(expect.objectContaining({ field: 'name', value: 'other' }));
    expect(repository.rows).toHaveLength(1);
  });

  it('publishes a stored rule that no longer compiles as a load error instead of failing the start', async () => {
    const { service, catalog, repository } = setup();
    await repository.insert({ name: 'old-rule', version: 1, definition: { name: 'old-rule', long: { all: [{ left: { indicator: 'vwap', period: 5 }, op: 'rising' }] }, stop: { percent: 1 } }, createdBy: null, createdAtMs: 0 });
    await service.refresh();
    expect(catalog.published[0][0]).toMatchObject({ name: 'old-rule', source: 'rule', version: '1' });
    expect(catalog.published[0][0].definition).toBeUndefined();
    expect(catalog.published[0][0].loadError).toContain('long.all.0.left.indicator');
  });
});

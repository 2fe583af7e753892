/**
 * Rule strategies through the control API on a real root, on embedded PGlite and on PostgreSQL:
 * POST /api/v1/strategies/rules (trader) stores version 1, PUT .../{name} adds versions, GET lists
 * the active versions and one strategy's history; every save is audited. Bad input (an unknown
 * indicator, a period beyond 1000, no entry condition, a name already taken) is answered 400 naming
 * the field and the value, and nothing is saved.
 */
import { describe, expect, it } from 'vitest';
import { apiV1Client } from '../support/api-v1-client';
import { AUTH_TEST_BACKENDS, useAuthTestRoots, type AuthTestRoot } from '../support/auth-test-root';

const SMA_CROSS = {
  name: 'sma-cross',
  description: 'SMA 10/30 cross, 2 ATR stop',
  long: { all: [{ left: { indicator: 'sma', period: 10 }, op: 'crossesAbove', right: { indicator: 'sma', period: 30 } }] },
  short: { all: [{ left: { indicator: 'sma', period: 10 }, op: 'crossesBelow', right: { indicator: 'sma', period: 30 } }] },
  stop: { atrMultiple: 2 },
};

async function clients(app: AuthTestRoot) {
  const trader = await app.signedInAs('trader', 'trader@example.com');
  const viewer = await app.signedInAs('viewer');
  const { token } = await app.root.auth.issueToken({ userId: trader.userId, name: 'api-v1 rules', role: 'trader' });
  return { trader: apiV1Client(app.root, { bearer: token }), viewer: apiV1Client(app.root, { cookie: viewer.cookie }) };
}

describe.each(AUTH_TEST_BACKENDS)('rule strategies API on $name', (backend) => {
  const roots = useAuthTestRoots(backend);

  it('creates, versions, lists and reads a rule strategy; each save is audited', async () => {
    const app = await roots.open();
    const { trader, viewer } = await clients(app);

    const created = await trader.call('createRuleStrategy', { body: SMA_CROSS });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'sma-cross', version: 1, definition: SMA_CROSS, createdBy: 'trader@example.com' });

    const v2 = { ...SMA_CROSS, name: undefined, stop: { percent: 3 } };
    const updated = await trader.call('updateRuleStrategy', { path: { name: 'sma-cross' }, body: v2 });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: 'sma-cross', version: 2, definition: { ...SMA_CROSS, stop: { percent: 3 } } });

    const list = await viewer.call('listRuleStrategies');
    expect(list.status).toBe(200);
    expect(list.body.items.map((r: { name: string; version: number }) => [r.name, r.version])).toEqual([['sma-cross', 2]]);

    const history = await viewer.call('getRuleStrategy', { path: { name: 'sma-cross' } });
    expect(history.status).toBe(200);
    expect(history.body.latest.version).toBe(2);
    expect(history.body.versions.map((v: { version: number; definition: { stop: unknown } }) => [v.version, v.definition.stop])).toEqual([
      [1, { atrMultiple: 2 }],
      [2, { percent: 3 }],
    ]);

    // The active version is in the strategy catalog under its name, source `rule`.
    const catalog = await viewer.call('listStrategies');
    expect(catalog.body.items.filter((s: { source: string }) => s.source === 'rule').map((s: { name: string; version: string; summary: string }) => [s.name, s.version, s.summary])).toEqual([
      ['sma-cross', '2', 'SMA 10/30 cross, 2 ATR stop'],
    ]);

    const audit = await app.root.auth.audit.list({ limit: 10 });
    const saves = audit.items.filter((e) => e.action.startsWith('strategy_rule.'));
    expect(saves.map((e) => [e.action, e.outcome, e.target, (e.after as { version: number }).version])).toEqual([
      ['strategy_rule.update', 'ok', 'sma-cross', 2],
      ['strategy_rule.create', 'ok', 'sma-cross', 1],
    ]);
    expect((saves[0].before as { version: number }).version).toBe(1);
  });

  it('refuses bad rules with 400 naming the field and the value, and saves nothing', async () => {
    const app = await roots.open();
    const { trader, viewer } = await clients(app);
    const refusals: [unknown, string][] = [
      [{ ...SMA_CROSS, long: { all: [{ left: { indicator: 'macd', period: 12 }, op: 'rising' }] } }, 'long.all.0.left.indicator'],
      [{ ...SMA_CROSS, short: { any: [{ left: { price: 'close' }, op: 'gt', right: { indicator: 'ema', period: 5000 } }] } }, 'short.any.0.right.period'],
      [{ name: 'no-entry', exitLong: SMA_CROSS.short, stop: { percent: 2 } }, 'long'],
      [{ ...SMA_CROSS, name: 'ma-crossover' }, 'name'],
    ];
    const answers = [];
    for (const [body] of refusals) answers.push(await trader.call('createRuleStrategy', { body }));
    expect(answers.map((a) => [a.status, Object.keys(a.body.error.fieldErrors)])).toEqual(refusals.map(([, field]) => [400, [field]]));
    expect(answers[0].body.error.fieldErrors['long.all.0.left.indicator'][0]).toContain('(got "macd")');
    expect(answers[1].body.error.fieldErrors['short.any.0.right.period'][0]).toBe('Too big: expected number to be <=1000 (got 5000)');
    expect(answers[2].body.error.fieldErrors.long[0]).toBe('a rule strategy needs an entry condition: give a long or a short group (missing)');
    expect(answers[3].body.error.fieldErrors.name[0]).toBe('field "name" was "ma-crossover": the name "ma-crossover" is taken by a built-in strategy');
    expect((await viewer.call('listRuleStrategies')).body.items).toEqual([]);

    // A second strategy of the same name: 400 on `name`, the first one untouched.
    expect((await trader.call('createRuleStrategy', { body: SMA_CROSS })).status).toBe(201);
    const twice = await trader.call('createRuleStrategy', { body: { ...SMA_CROSS, stop: { percent: 1 } } });
    expect({ status: twice.status, fieldErrors: twice.body.error.fieldErrors }).toEqual({
      status: 400,
      fieldErrors: { name: ['field "name" was "sma-cross": a rule strategy named "sma-cross" exists already; update it instead'] },
    });
    // An update with a bad period or a different name: nothing saved.
    const badUpdate = await trader.call('updateRuleStrategy', { path: { name: 'sma-cross' }, body: { ...SMA_CROSS, long: { all: [{ left: { indicator: 'rsi', period: 0 }, op: 'rising' }] } } });
    expect([badUpdate.status, Object.keys(badUpdate.body.error.fieldErrors)]).toEqual([400, ['long.all.0.left.period']]);
    const renamed = await trader.call('updateRuleStrategy', { path: { name: 'sma-cross' }, body: { ...SMA_CROSS, name: 'other-name' } });
    expect([renamed.status, Object.keys(renamed.body.error.fieldErrors)]).toEqual([400, ['name']]);
    const history = await viewer.call('getRuleStrategy', { path: { name: 'sma-cross' } });
    expect(history.body.versions.map((v: { version: number; definition: unknown }) => [v.version, v.definition])).toEqual([[1, SMA_CROSS]]);

    expect((await trader.call('updateRuleStrategy', { path: { name: 'missing-rule' }, body: SMA_CROSS })).status).toBe(404);
    expect((await viewer.call('getRuleStrategy', { path: { name: 'missing-rule' } })).status).toBe(404);
    expect((await viewer.call('createRuleStrategy', { body: { ...SMA_CROSS, name: 'viewer-rule' } })).status).toBe(403);
  });
});

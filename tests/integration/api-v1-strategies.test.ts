/**
 * GET /api/v1/strategies (viewer): every strategy of the engine's catalog with its source, version and
 * source hash, its parameters as JSON Schema (from the definitions' zod schemas, defaults included) and
 * its default parameters. File strategies in the catalog: tests/integration/catalog-file-strategy.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiV1Client, type ApiV1Client } from '../support/api-v1-client';
import { createAuthTestRoot, type AuthTestRoot } from '../support/auth-test-root';

let app: AuthTestRoot;
let viewer: ApiV1Client;

beforeAll(async () => {
  app = await createAuthTestRoot();
  const session = await app.signedInAs('viewer');
  const { token } = await app.root.auth.issueToken({ userId: session.userId, name: 'api-v1 strategies', role: 'viewer' });
  viewer = apiV1Client(app.root, { bearer: token });
}, 60_000);

afterAll(async () => {
  await app?.close();
});

describe('GET /api/v1/strategies', () => {
  it('lists every strategy with its defaults, by API token', async () => {
    const answer = await viewer.call<{ items: { name: string; defaults: Record<string, number> }[] }>('listStrategies');
    expect(answer.status).toBe(200);
    expect(answer.body.items.map((s) => [s.name, s.defaults])).toEqual([
      ['ma-crossover', { fastPeriod: 20, slowPeriod: 50, atrPeriod: 14, atrStopMultiple: 2 }],
      ['rsi-mean-reversion', { period: 14, oversold: 30, overbought: 70, atrPeriod: 14, atrStopMultiple: 2 }],
      ['ema-trend', { period: 50, atrPeriod: 14, atrStopMultiple: 2 }],
      ['donchian-breakout', { period: 20, atrPeriod: 14 }],
      // The example strategy files of the repository's strategies/ folder (the root's default AETHELRED_STRATEGIES_DIR).
      ['bollinger-reversion', { period: 20, bandWidth: 2, atrPeriod: 14, atrStopMultiple: 2, trailingAtrMultiple: 3 }],
      ['higher-timeframe-trend', { bucketMinutes: 240, trendBuckets: 20, emaPeriod: 20, atrPeriod: 14, atrStopMultiple: 2 }],
      ['volatility-breakout', { atrPeriod: 14, breakoutAtr: 1.5, atrStopMultiple: 2, holdBars: 10 }],
    ]);
  });

  it('gives each strategy its source, version and source hash', async () => {
    const answer = await viewer.call<{ items: { name: string; source: string; version: string; sourceHash: string; file?: string; loadError?: string }[] }>('listStrategies');
    // sourceHash of a built-in = sha256("built-in:<name>@<version>"), e.g. sha256("built-in:ma-crossover@1.0.0").
    expect(answer.body.items[0]).toMatchObject({ name: 'ma-crossover', source: 'built-in', version: '1.0.0', sourceHash: '7bbc455dc1314d83383acdb3a25c7b444d4f8f943ae954472fcad04b38c6fb60' });
    expect(answer.body.items.map((s) => [s.source, s.version, /^[0-9a-f]{64}$/.test(s.sourceHash), s.file ?? null, s.loadError ?? null])).toEqual(
      [
        ...Array.from({ length: 4 }, () => ['built-in', '1.0.0', true, null, null]),
        // The repository's example strategy files (strategies/), each with the sha256 of its text.
        ['file', '1.0.0', true, 'bollinger-reversion.ts', null],
        ['file', '1.0.0', true, 'higher-timeframe-trend.ts', null],
        ['file', '1.0.0', true, 'volatility-breakout.ts', null],
      ],
    );
  });

  it('gives each strategy\'s parameters as JSON Schema with bounds and defaults', async () => {
    const answer = await viewer.call<{ items: { name: string; paramsSchema: unknown }[] }>('listStrategies');
    const period = (value: number) => ({ type: 'integer', minimum: 1, maximum: 10_000, default: value });
    expect(answer.body.items.find((s) => s.name === 'ema-trend')?.paramsSchema).toEqual({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { period: period(50), atrPeriod: period(14), atrStopMultiple: { type: 'number', exclusiveMinimum: 0, default: 2 } },
      additionalProperties: false,
    });
    expect(answer.body.items.find((s) => s.name === 'rsi-mean-reversion')?.paramsSchema).toMatchObject({
      properties: { oversold: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 100, default: 30 }, overbought: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 100, default: 70 } },
    });
  });

  it('refuses an unknown query parameter with 400 naming it and the value', async () => {
    const answer = await viewer.call('listStrategies', { query: { limit: '5' } });
    expect(answer).toMatchObject({ status: 400, body: { error: { code: 'bad_request:input', fieldErrors: { limit: ['not a parameter here; this takes no query parameters (got "5")'] } } } });
  });
});

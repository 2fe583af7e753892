import { expect, test } from '@playwright/test';
import { FIXTURE_CANDLE_COUNT } from './e2e-env';
import { signIn } from './sign-in';

test('home page shows the running engine and the candles imported through the CLI', async ({ page }) => {
  await signIn(page, 'viewer');
  await page.goto('/');
  await expect(page.getByTestId('engine-state')).toHaveText('running');
  await expect(page.getByTestId('database-kind')).toHaveText('pglite');
  const row = page.getByTestId('candle-stream-row').filter({ hasText: 'BTC/USDT' });
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId('candle-count')).toHaveText(String(FIXTURE_CANDLE_COUNT));
  await expect(row).toContainText('2024-01-01T00:00:00Z');
  await expect(row).toContainText('2024-01-01T00:55:00Z');
  await page.screenshot({ path: 'test-results/screenshots/home.png', fullPage: true });
});

test('health endpoint reports engine, database and versions', async ({ request }) => {
  const res = await request.get('/api/health');
  expect(res.status()).toBe(200);
  const body = await res.json();
  expect(body).toMatchObject({ status: 'ok', engine: 'running', database: { kind: 'pglite', reachable: true }, version: '0.1.0' });
  expect(typeof body.schemaVersion).toBe('string');
});

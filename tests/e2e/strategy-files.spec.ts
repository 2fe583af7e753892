/**
 * Strategy files in the browser (issue 15): the example files of the repository's `strategies/`
 * folder, which the production server loads at start, are listed on the strategies page as `file`
 * strategies (ready, with the sha256 of the file text), offered by the backtest form with their source
 * and version, and a run of one from the form records and shows where it came from.
 *
 * Data: the synthetic ETH/USDT 5m market imported by the global setup (tests/e2e/synthetic-candles.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { signIn } from './sign-in';
import { runBacktestFromForm } from './backtest-form';

const EXAMPLES = ['bollinger-reversion', 'higher-timeframe-trend', 'volatility-breakout'] as const;
const hashOf = (name: string) => createHash('sha256').update(readFileSync(path.join(process.cwd(), 'strategies', `${name}.ts`), 'utf8')).digest('hex');

test('the example strategy files are listed as ready file strategies with the hash of their text', async ({ page }) => {
  await signIn(page, 'viewer', '/strategies');
  await page.goto('/strategies');
  for (const name of EXAMPLES) {
    const row = page.locator(`[data-testid="catalog-row"][data-strategy="${name}"]`);
    await expect(row).toHaveAttribute('data-source', 'file');
    await expect(row).toContainText('ready');
    await expect(row).toContainText(hashOf(name).slice(0, 12));
  }
});

test('a backtest of a strategy file from the form records its source, version and hash', async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, 'trader', '/backtests');
  await runBacktestFromForm(page, {
    configure: async (form) => {
      await expect(form.getByTestId('strategy-volatility-breakout')).toContainText('(file 1.0.0)');
      // Only the file strategy: untick whatever the saved settings enabled.
      for (const box of await form.locator('input[name="strategies"]:checked').all()) await box.uncheck();
      await form.getByTestId('strategy-volatility-breakout').getByRole('checkbox').check();
    },
  });
  const strategies = page.getByTestId('run-strategy');
  await expect(strategies).toHaveCount(1);
  await expect(strategies.first()).toHaveAttribute('data-strategy', 'volatility-breakout');
  await expect(strategies.first()).toContainText(`file 1.0.0 · ${hashOf('volatility-breakout').slice(0, 12)}`);
});

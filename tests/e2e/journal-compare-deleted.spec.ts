/**
 * Deleting a run that a comparison shows (issue 14), in the browser as a trader: two runs from the
 * backtest form compared side by side, one of them deleted from its run page, then the same comparison
 * URL says that run is gone (naming its id) and still shows the other one, with a 200, not an error page.
 * Named to run after journal-backtests.spec.ts, which counts the stored runs.
 *
 * Data: the synthetic ETH/USDT 5m market imported by the global setup (tests/e2e/synthetic-candles.ts).
 */
import { expect, test } from '@playwright/test';
import { signIn } from './sign-in';
import { runBacktestFromForm } from './backtest-form';
import { checkPage } from './page-check';

test('a comparison whose run was deleted says the run is gone and still shows the other run', async ({ page }) => {
  test.setTimeout(180_000);
  await signIn(page, 'trader', '/backtests');
  const kept = await runBacktestFromForm(page, { to: '2024-02-06' });
  const deleted = await runBacktestFromForm(page, { to: '2024-02-07' });
  const compareUrl = `/backtests/compare?ids=${kept},${deleted}`;
  await page.goto(compareUrl);
  await expect(page.getByRole('heading', { name: 'Compare 2 runs' })).toBeVisible();
  await expect(page.getByTestId('compare-trades').locator('td')).toHaveCount(2);
  await expect(page.getByTestId('compare-missing')).toHaveCount(0);

  await page.goto(`/backtests/${deleted}`);
  await page.getByTestId('delete-run-form').getByRole('button', { name: 'Delete this run' }).click();
  await expect(page).toHaveURL(/\/backtests$/);
  await expect(page.locator(`a[href="/backtests/${deleted}"]`)).toHaveCount(0);

  const response = await page.goto(compareUrl);
  expect(response?.status()).toBe(200);
  await expect(page.getByTestId('page-error')).toHaveCount(0);
  await expect(page.getByTestId('compare-missing')).toHaveText(
    `Run "${deleted}" is gone: deleted, or never existed. The table shows the others; pick runs again.`,
  );
  await expect(page.getByRole('heading', { name: 'Compare 1 run' })).toBeVisible();
  // Only the kept run's column is left, linked to its page.
  await expect(page.getByTestId('compare-trades').locator('td')).toHaveCount(1);
  await expect(page.getByTestId('compare-table').locator('thead a')).toHaveAttribute('href', `/backtests/${kept}`);
  await checkPage(page, 'backtests-compare-deleted');
});

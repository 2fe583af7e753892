/**
 * Per-tag analysis in the browser on the production build: a backtest run from the form (ma-crossover
 * and ema-trend on the synthetic ETH/USDT 5m market of the global setup), then on its run page the
 * results-by-tag table under every tab (strategy, exit reason, side, entry hour, weekday) has group
 * counts that add up to the run's trade count; the journal filtered to the run shows the same total.
 * Both pages are scanned with axe (no serious or critical violations) and have no sideways scroll at 390 px.
 */
import { expect, test, type Page } from '@playwright/test';
import { signIn } from './sign-in';
import { runBacktestFromForm } from './backtest-form';
import { checkPage } from './page-check';

const TABS = ['strategy', 'exitReason', 'side', 'hourOfDay', 'weekday'] as const;

/** Clicks each dimension's tab and returns, per dimension, the sum of its groups' trade counts. */
async function groupCountSums(page: Page): Promise<Record<string, number>> {
  const sums: Record<string, number> = {};
  for (const tab of TABS) {
    await page.getByTestId(`breakdown-tab-${tab}`).click();
    await expect(page.getByTestId(`breakdown-tab-${tab}`)).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByTestId('breakdown-table')).toHaveAttribute('data-dimension', tab);
    const counts = await page.getByTestId('breakdown-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-trades'))));
    expect(counts.length, `groups under ${tab}`).toBeGreaterThan(0);
    sums[tab] = counts.reduce((a, b) => a + b, 0);
  }
  return sums;
}

test("the results-by-tag counts add up to the run's trade count, under every tab", async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, 'trader', '/backtests');
  const runId = await runBacktestFromForm(page, { configure: (form) => form.getByTestId('strategy-ema-trend').getByRole('checkbox').check() });

  const tradeCount = Number((await page.getByTestId('metric-trades').locator('td').textContent())!.replace(/[^\d]/g, ''));
  expect(tradeCount).toBeGreaterThan(0);
  const breakdown = page.getByTestId('trade-breakdown');
  await expect(breakdown).toHaveAttribute('data-trades', String(tradeCount));
  expect(await groupCountSums(page)).toEqual(Object.fromEntries(TABS.map((t) => [t, tradeCount])));
  await expect(page.getByTestId('breakdown-total').locator('td').first()).toHaveText(String(tradeCount));
  await checkPage(page, 'backtest-run-breakdown');

  await page.goto(`/journal?run=${encodeURIComponent(runId)}`);
  await expect(page.getByTestId('trade-breakdown')).toHaveAttribute('data-trades', String(tradeCount));
  expect(await groupCountSums(page)).toEqual(Object.fromEntries(TABS.map((t) => [t, tradeCount])));
  await checkPage(page, 'journal-breakdown');
});

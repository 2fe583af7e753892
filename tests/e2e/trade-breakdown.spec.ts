/**
 * Per-tag analysis in the browser on the production build: a backtest run from the form (ma-crossover
 * and ema-trend on the synthetic ETH/USDT 5m market of the global setup), then on its run page the
 * results-by-tag table under every tab (strategy, exit reason, side, entry hour, weekday) has group
 * counts that add up to the run's trade count; the journal filtered to the run shows the same total.
 * Both pages are scanned with axe (no serious or critical violations) and have no sideways scroll at 390 px.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { signIn } from './sign-in';
import { SYNTHETIC_FROM, SYNTHETIC_MARKET, SYNTHETIC_TO } from './synthetic-candles';

const TABS = ['strategy', 'exitReason', 'side', 'hourOfDay', 'weekday'] as const;

async function checkPage(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: true });
  const axe = await new AxeBuilder({ page }).analyze();
  const bad = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect(bad, `axe violations on ${name}`).toEqual([]);
  const size = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), `${name} scrolls sideways at 390 px`).toBeLessThanOrEqual(0);
  await page.screenshot({ path: `test-results/screenshots/${name}-390.png`, fullPage: true });
  if (size) await page.setViewportSize(size);
}

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
  await page.goto('/backtests');
  await page.getByLabel('Exchange').selectOption(SYNTHETIC_MARKET.exchange);
  await page.getByLabel('Symbol').fill(SYNTHETIC_MARKET.symbol);
  await page.getByLabel('Timeframe').selectOption(SYNTHETIC_MARKET.timeframe);
  await page.getByLabel('From (UTC)').fill(SYNTHETIC_FROM);
  await page.getByLabel('To (UTC, exclusive)').fill(SYNTHETIC_TO);
  await page.getByTestId('strategy-ema-trend').getByRole('checkbox').check();
  await page.getByTestId('run-backtest').click();
  await expect(page.getByTestId('run-link')).toBeVisible({ timeout: 60_000 });
  await page.getByTestId('run-link').click();
  await expect(page.getByTestId('run-status')).toHaveText('complete');
  const runId = (await page.getByTestId('run-id').textContent())!.trim();

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

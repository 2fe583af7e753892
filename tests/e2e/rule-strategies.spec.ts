/**
 * Rule strategies in the browser as a trader (issue 15): from /strategies, compose an SMA 10/30
 * cross as rules (long entry, long exit, ATR stop), see a period beyond the limit named next to its
 * field as it is typed, save, and backtest the saved rule in one click on the synthetic ETH/USDT 5m
 * market; the run opens and has trades. The editor is scanned with axe and checked at 390 px (tests/e2e/page-check.ts).
 *
 * Data: the synthetic ETH/USDT 5m market imported by the global setup (tests/e2e/synthetic-candles.ts).
 */
import { expect, test, type Page } from '@playwright/test';
import { checkPage } from './page-check';
import { signIn } from './sign-in';
import { SYNTHETIC_MARKET } from './synthetic-candles';

test.describe.configure({ mode: 'serial' });

/** Sets condition `k` of `group` to `SMA(fast) <op> SMA(slow)`. */
async function smaCondition(page: Page, prefix: string, op: string, fast: string, slow: string): Promise<void> {
  await page.locator(`#rule-${prefix}-left-kind`).selectOption('indicator');
  await page.locator(`#rule-${prefix}-left-indicator`).selectOption('sma');
  await page.locator(`#rule-${prefix}-left-period`).fill(fast);
  await page.locator(`#rule-${prefix}-op`).selectOption(op);
  await page.locator(`#rule-${prefix}-right-kind`).selectOption('indicator');
  await page.locator(`#rule-${prefix}-right-indicator`).selectOption('sma');
  await page.locator(`#rule-${prefix}-right-period`).fill(slow);
}

test('composes a rule strategy, names a bad period, saves it and backtests it in one click', async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, 'trader', '/strategies');
  await page.goto('/strategies');
  await page.getByTestId('new-rule-strategy').click();
  await expect(page).toHaveURL(/\/strategies\/rules\/new$/);
  // Typed before React hydrates the editor, a controlled field shows the text while its state stays empty.
  await expect(page.locator('form.rule-editor .hydration-gate[data-hydrated="true"]')).toBeVisible();

  // A new rule without a name is not valid yet; the problem list says so.
  await expect(page.getByTestId('rule-problems')).toContainText('name');
  await page.getByLabel('Name (lowercase letters, digits, dashes)').fill('e2e-sma-cross');
  await smaCondition(page, 'long-all-0', 'crossesAbove', '10', '5000');
  // Validated as it is typed: the period beyond the limit is named next to its field.
  const periodError = page.getByTestId('rule-error-long.all.0.right.period');
  await expect(periodError).toContainText('1000');
  await expect(page.locator('#rule-long-all-0-right-period')).toHaveAttribute('aria-invalid', 'true');
  await page.locator('#rule-long-all-0-right-period').fill('30');
  await expect(periodError).toHaveCount(0);

  // Long exit on the cross back down; the stop stays 2 ATR(14).
  await page.getByTestId('rule-group-exitLong').getByRole('checkbox').check();
  await smaCondition(page, 'exitLong-all-0', 'crossesBelow', '10', '30');
  await expect(page.getByTestId('rule-problems')).toContainText('The rule is valid.');
  await checkPage(page, 'rule-editor-new');

  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page).toHaveURL(/\/strategies\/rules\/e2e-sma-cross$/);
  await expect(page.getByTestId('rule-versions')).toContainText('1 (active)');
  await expect(page.locator('#rule-long-all-0-right-period')).toHaveValue('30');
  await expect(page.locator('form.rule-editor .hydration-gate[data-hydrated="true"]')).toBeVisible();

  // One click: the market and range are picked on the page (the range defaults to the market's candles).
  await page.getByLabel('Market').selectOption(`${SYNTHETIC_MARKET.exchange} ${SYNTHETIC_MARKET.symbol} ${SYNTHETIC_MARKET.timeframe}`);
  await checkPage(page, 'rule-editor-saved');
  await page.getByRole('button', { name: 'Backtest', exact: true }).click();
  await expect(page).toHaveURL(/\/backtests\/[^/]+$/, { timeout: 60_000 });
  await expect(page.getByTestId('run-status')).toHaveText('complete');
  expect(await page.getByTestId('trade-row').count()).toBeGreaterThan(0);
});

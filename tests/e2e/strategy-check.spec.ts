/**
 * The look-ahead and recursion check from the UI, on the production build: a trader opens it from
 * /strategies, runs rsi-mean-reversion over the synthetic ETH/USDT 5m market (tests/e2e/synthetic-candles.ts,
 * 3 000 candles) as a job with a startup history of 15 candles (its warm-up; its own startup history is
 * 139, what a Wilder-smoothed period of 14 needs to forget its seed), follows it to the end and reads
 * the report: no look-ahead, and RSI(14) and ATR(14) flagged by the recursion check, each with a
 * candle time. A viewer sees the checks but no form.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { signIn } from './sign-in';
import { SYNTHETIC_FROM, SYNTHETIC_MARKET, SYNTHETIC_TO } from './synthetic-candles';

test.describe.configure({ mode: 'serial' });

test('a trader runs the check from the page and reads the report with candle times', async ({ page }) => {
  await signIn(page, 'trader', '/strategies');
  await page.getByTestId('strategy-check-link').click();
  await expect(page.getByRole('heading', { name: 'Look-ahead and recursion check', level: 1 })).toBeVisible();
  const form = page.getByTestId('strategy-check-form');
  await form.getByLabel('Strategy', { exact: true }).selectOption('rsi-mean-reversion');
  await form.getByLabel('Exchange', { exact: true }).selectOption(SYNTHETIC_MARKET.exchange);
  await form.getByLabel('Symbol').fill(SYNTHETIC_MARKET.symbol);
  await form.getByLabel('Timeframe', { exact: true }).selectOption(SYNTHETIC_MARKET.timeframe);
  await form.getByLabel('From').fill(SYNTHETIC_FROM);
  await form.getByLabel(/^To \(/).fill(SYNTHETIC_TO);
  await form.getByLabel(/^Startup candles/).fill('15');
  await form.getByRole('button', { name: 'Run check' }).click();
  await expect(page.getByTestId('action-error')).toHaveCount(0);

  const row = page.getByTestId('check-row').filter({ hasText: `rsi-mean-reversion on binance ${SYNTHETIC_MARKET.symbol} 5m` }).first();
  await expect(row.getByText('succeeded')).toBeVisible({ timeout: 30_000 });
  await expect(row.getByTestId('check-outcome')).toHaveText(/^0 look-ahead, \d+ recursion findings?$/);

  const report = page.getByTestId('check-report').first();
  await expect(report).toBeVisible();
  await expect(report.getByTestId('check-verdict')).toHaveText('failed');
  await expect(report).toContainText('3,000 candles');
  await expect(report).toContainText('warm-up 15, startup history 15 candles');
  await expect(report).toContainText('Look-ahead: none');
  const findings = report.getByTestId('finding-row');
  await expect(findings.first()).toBeVisible();
  expect(await report.locator('[data-kind="look-ahead"]').count()).toBe(0);
  await expect(report.locator('[data-kind="recursion"]').filter({ hasText: 'rsi(14)' }).first()).toBeVisible();
  // Each finding names its candle as a UTC time inside the checked range (2024-02-01 .. 2024-02-11).
  for (const time of await report.getByTestId('finding-time').allTextContents()) expect(time).toMatch(/^2024-02-(0[1-9]|1[01]) \d{2}:\d{2}$/);
  await page.screenshot({ path: 'test-results/screenshots/strategy-check-report.png', fullPage: true });

  // The report passes axe and fits 390 px (its tables scroll inside their frame).
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(report).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
  await page.screenshot({ path: 'test-results/screenshots/strategy-check-report-390.png', fullPage: true });
});

test('a refused check names the field and queues nothing', async ({ page }) => {
  await signIn(page, 'trader', '/strategies/check');
  const rows = await page.getByTestId('check-row').count();
  const form = page.getByTestId('strategy-check-form');
  await form.getByLabel('Symbol').fill('NOPE/USDT');
  await form.getByRole('button', { name: 'Run check' }).click();
  await expect(page.getByTestId('action-error')).toContainText('no 1h candles are stored for "NOPE/USDT"');
  await expect(page.getByTestId('check-row')).toHaveCount(rows);
});

test('a viewer sees the checks without the form', async ({ page }) => {
  await signIn(page, 'viewer', '/strategies/check');
  await expect(page.getByTestId('strategy-check-form')).toHaveCount(0);
  await expect(page.getByText('Running a check needs the trader role.')).toBeVisible();
  await expect(page.getByTestId('check-row').first()).toBeVisible();
});

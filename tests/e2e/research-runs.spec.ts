/**
 * Research runs you can trust (issue 14), in the browser as a trader: the backtest form's account
 * settings start from the default account; a run with futures at leverage 3 (breakers off) is queued
 * from the form and its page shows the resolved futures settings, the buy-and-hold benchmark, the
 * underwater chart and the rolling Sharpe/volatility chart; the runs list shows its period, max drawdown
 * and Sharpe. A leverage out of range is refused next to its field. Pages are screenshotted, scanned with
 * axe (no serious or critical violations) and checked at 390 px.
 *
 * Data: the synthetic ETH/USDT 5m market imported by the global setup (tests/e2e/synthetic-candles.ts).
 */
import { expect, test } from '@playwright/test';
import { signIn } from './sign-in';
import { expectTradeMarkers, runTrades } from './chart-markers';
import { fillBacktestMarket, runBacktestFromForm } from './backtest-form';
import { checkPage } from './page-check';
import { SYNTHETIC_FROM, SYNTHETIC_TO } from './synthetic-candles';

test.describe.configure({ mode: 'serial' });

test('refuses a leverage above the venue maximum next to its field', async ({ page }) => {
  await signIn(page, 'trader', '/backtests');
  await page.goto('/backtests');
  await fillBacktestMarket(page);
  await page.getByLabel('Market type').selectOption('futures');
  await page.getByLabel('Leverage (futures)').fill('500');
  await page.getByTestId('run-backtest').click();
  await expect(page.getByTestId('field-error-paper.leverage')).toBeVisible();
  await expect(page.getByLabel('Leverage (futures)')).toHaveAttribute('aria-invalid', 'true');
});

test('runs a futures backtest at leverage 3 from the form and shows the benchmark and underwater chart', async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, 'trader', '/backtests');
  await page.goto('/backtests');
  // Prefilled from the default account's stored settings; breakers start off for research runs.
  await expect(page.getByLabel('Initial balance (quote)')).not.toHaveValue('');
  await expect(page.getByTestId('breakers')).not.toBeChecked();
  await expect(page.getByLabel('Drawdown breaker (%)')).toBeDisabled();
  await checkPage(page, 'backtests-form-account');
  const runId = await runBacktestFromForm(page, {
    configure: async (form) => {
      await form.getByLabel('Market type').selectOption('futures');
      await form.getByLabel('Leverage (futures)').fill('3');
      await form.getByLabel('Margin mode').selectOption('isolated');
      // The end-of-run close stays ticked (the default): its exit is one of the markers checked below.
      await expect(form.getByTestId('close-at-end')).toBeChecked();
    },
  });
  await expect(page.getByTestId('run-settings')).toContainText('futures, leverage 3x, isolated margin');
  await expect(page.getByTestId('run-settings')).toContainText('breakers off');
  await expect(page.getByTestId('benchmark')).toContainText('Buy and hold ETH/USDT');
  await expect(page.getByTestId('equity-chart')).toBeVisible();
  await expect(page.getByTestId('equity-chart').locator('.recharts-line')).toHaveCount(2);
  // Money with its currency and percentages in the one format of every page (`-13.60%`, no space).
  await expect(page.getByTestId('equity-chart')).toContainText(/Run [0-9a-f]{8}: [\d,]+\.\d{2} USDT to [\d,]+\.\d{2} USDT; Buy and hold: [\d,]+\.\d{2} USDT to [\d,]+\.\d{2} USDT/);
  await expect(page.getByTestId('benchmark')).toContainText(/: -?[\d,]+\.\d{2}% against the run's -?[\d,]+\.\d{2}%\.$/);
  await expect(page.getByTestId('underwater-chart')).toBeVisible();
  await expect(page.getByTestId('underwater-chart').locator('.recharts-area')).toHaveCount(1);
  await expect(page.getByTestId('rolling-chart')).toBeVisible();
  await checkPage(page, 'backtest-run-research');

  // Its trades on the price chart: a marker at every entry and exit; on futures the run also sold short.
  const trades = await runTrades(page, runId);
  expect(trades.length).toBeGreaterThan(0);
  expect(trades.some((t) => t.side === 'short')).toBe(true);
  // A position was still open at the end and the run closed it: its exit is among the markers checked below.
  expect(trades.filter((t) => t.exitReason === 'end-of-run')).toHaveLength(1);
  await page.getByTestId('run-chart-link').click();
  await expect(page.getByTestId('chart-source')).toHaveValue(`run:${runId}`);
  await expectTradeMarkers(page, trades);

  await page.goto('/backtests');
  const row = page.getByTestId('run-row').filter({ has: page.locator(`a[href="/backtests/${runId}"]`) });
  await expect(row.getByTestId('run-period')).toHaveText(`${SYNTHETIC_FROM} – ${SYNTHETIC_TO}`);
  await expect(row.getByTestId('run-max-drawdown')).toHaveText(/^-?\d+(\.\d+)?%$/);
  await expect(row.getByTestId('run-sharpe')).toHaveText(/^-?\d+(\.\d+)?$|^—$/);
});

test('with breakers on, the run page says when and why the drawdown breaker halted the run and marks it on the equity curve', async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, 'trader', '/backtests');
  await runBacktestFromForm(page, {
    configure: async (form) => {
      await form.getByTestId('breakers').check();
      await form.getByLabel('Drawdown breaker (%)').fill('0.5');
    },
  });
  await expect(page.getByTestId('run-settings')).toContainText('drawdown 0.5%');
  await expect(page.getByTestId('breaker-halt').first()).toContainText(/max_drawdown: equity .* below peak .* \(limit 0\.5%\)/);
  // One vertical marker per halt (an SVG line has no width, so its count and label are checked, not its visibility).
  const halts = await page.getByTestId('breaker-halt').count();
  await expect(page.getByTestId('equity-chart').locator('.recharts-reference-line')).toHaveCount(halts);
  await expect(page.getByTestId('equity-chart')).toContainText('halted: max_drawdown');
  await checkPage(page, 'backtest-run-halted');
});

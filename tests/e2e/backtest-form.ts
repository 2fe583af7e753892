/**
 * Running a backtest from the form in e2e specs (the backtests page, signed in as a trader or above):
 * the synthetic ETH/USDT 5m market of the global setup filled in, the run submitted and its progress
 * followed to the run page. Strategy and account fields are left to each spec.
 */
import { expect, type Page } from '@playwright/test';
import { SYNTHETIC_FROM, SYNTHETIC_MARKET, SYNTHETIC_TO } from './synthetic-candles';

/** Fills the market and period of the backtest form (already open) with the synthetic market; `to` is exclusive (YYYY-MM-DD). */
export async function fillBacktestMarket(page: Page, period: { to?: string } = {}): Promise<void> {
  await page.getByLabel('Exchange', { exact: true }).selectOption(SYNTHETIC_MARKET.exchange);
  await page.getByLabel('Symbol', { exact: true }).fill(SYNTHETIC_MARKET.symbol);
  await page.getByLabel('Timeframe', { exact: true }).selectOption(SYNTHETIC_MARKET.timeframe);
  await page.getByLabel('From (UTC)').fill(SYNTHETIC_FROM);
  await page.getByLabel('To (UTC, exclusive)').fill(period.to ?? SYNTHETIC_TO);
}

/** Submits the filled form, follows the progress poller's link to the run page and waits for the complete run; returns its id. */
export async function submitBacktest(page: Page): Promise<string> {
  await page.getByTestId('run-backtest').click();
  const link = page.getByTestId('run-link');
  await expect(link).toBeVisible({ timeout: 60_000 });
  await link.click();
  await expect(page.getByTestId('run-status')).toHaveText('complete');
  return (await page.getByTestId('run-id').textContent())!.trim();
}

/**
 * Opens the backtests page, fills the synthetic market, lets `configure` set anything else (strategies,
 * account settings), runs the backtest and returns the id of the complete run, with its page open.
 */
export async function runBacktestFromForm(page: Page, options: { to?: string; configure?: (page: Page) => Promise<void> } = {}): Promise<string> {
  await page.goto('/backtests');
  await fillBacktestMarket(page, { to: options.to });
  await options.configure?.(page);
  return submitBacktest(page);
}

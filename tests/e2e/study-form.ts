/**
 * The study form in e2e specs (the studies page, signed in as a trader or above): opened with the synthetic
 * ETH/USDT 5m market of the global setup, its whole range and a strategy chosen; the space, method and the rest are
 * left to each spec.
 */
import type { Locator, Page } from '@playwright/test';
import { SYNTHETIC_FROM, SYNTHETIC_MARKET, SYNTHETIC_TO } from './synthetic-candles';

/** Opens /studies and fills the market, the range and `strategy`; returns the form. */
export async function openStudyForm(page: Page, strategy: string): Promise<Locator> {
  await page.goto('/studies');
  const form = page.getByTestId('study-form');
  await form.getByLabel('Market', { exact: true }).selectOption(`${SYNTHETIC_MARKET.exchange} ${SYNTHETIC_MARKET.symbol} ${SYNTHETIC_MARKET.timeframe}`);
  await form.getByLabel('From (UTC)').fill(SYNTHETIC_FROM);
  await form.getByLabel('To (UTC, exclusive)').fill(SYNTHETIC_TO);
  await form.getByLabel('Strategy', { exact: true }).selectOption(strategy);
  return form;
}

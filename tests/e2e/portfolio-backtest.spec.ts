/**
 * A portfolio backtest from the form, signed in as a trader: two markets uploaded on /markets (synthetic
 * 1h candles, not market data; the second starts 100 hours later, so it joins the run then), the form's
 * "Several markets, one account" choice with both ticked, the run followed to its page, and the
 * per-market table and correlation matrix read there. The form and the run page are screenshotted,
 * scanned with axe and checked at 390 px wide. Each market's link opens the chart on that market with the
 * run picked, its markers being that market's trades only.
 *
 * The markets (LINK/USDT, NEAR/USDT on binance 1h) are used by no other spec and sort after BTC/USDT,
 * the chart's default market.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { signIn } from './sign-in';
import { submitBacktest } from './backtest-form';
import { checkPage } from './page-check';
import { expectTradeMarkers, runTrades } from './chart-markers';

const HOUR = 3_600_000;
const START_MS = Date.UTC(2024, 3, 1);
const MARKETS = [
  { symbol: 'LINK/USDT', base: 20, phase: 0, offsetHours: 0 },
  { symbol: 'NEAR/USDT', base: 6, phase: 1.3, offsetHours: 100 },
] as const;
const COUNT = 500;

/** A 100-candle wave (±3 % around `base`), on which ma-crossover with its default 20/50 periods crosses about twice per wave. */
function writeCandles(market: (typeof MARKETS)[number]): string {
  const lines = ['timestamp_ms,open,high,low,close,volume'];
  let previous: number = market.base;
  for (let i = 0; i < COUNT; i++) {
    const close = market.base * (1 + 0.03 * Math.sin((2 * Math.PI * i) / 100 + market.phase));
    lines.push([START_MS + (market.offsetHours + i) * HOUR, previous, Math.max(previous, close) * 1.001, Math.min(previous, close) * 0.999, close, 1_000_000].map((v) => (typeof v === 'number' ? String(Number(v.toFixed(6))) : v)).join(','));
    previous = close;
  }
  const file = path.resolve(`test-results/${market.symbol.replace('/', '-').toLowerCase()}-1h-portfolio.csv`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

test('runs a two-market backtest from the form and shows the per-market breakdown and correlations', async ({ page }) => {
  test.setTimeout(180_000);
  await signIn(page, 'trader', '/markets');
  const upload = page.getByTestId('candle-upload');
  for (const market of MARKETS) {
    await upload.getByLabel('CSV file').setInputFiles(writeCandles(market));
    await upload.getByLabel('Exchange').fill('binance');
    await upload.getByLabel('Symbol').fill(market.symbol);
    await upload.getByLabel('Timeframe').selectOption('1h');
    await upload.getByRole('button', { name: 'Upload and import' }).click();
    await expect(page.getByTestId('upload-result')).toContainText(`${COUNT} candles read, ${COUNT} new, into binance ${market.symbol} 1h`);
  }

  await page.goto('/backtests');
  await page.getByLabel('Exchange', { exact: true }).selectOption('binance');
  await page.getByLabel('Timeframe', { exact: true }).selectOption('1h');
  await page.getByLabel('From (UTC)').fill('2024-04-01');
  await page.getByLabel('To (UTC, exclusive)').fill('2024-04-30');
  const markets = page.getByTestId('market-mode');
  await markets.getByLabel('Several markets, one account').check();
  await expect(page.getByLabel('Symbol', { exact: true })).toHaveCount(0);
  for (const market of MARKETS) await page.getByTestId('portfolio-symbols').getByLabel(market.symbol, { exact: true }).check();
  // ma-crossover alone; room for a position in each market.
  for (const box of await page.locator('[data-testid^="strategy-"] input[type="checkbox"]').all()) await box.uncheck();
  await page.getByTestId('strategy-ma-crossover').getByRole('checkbox').check();
  await page.getByLabel('Max open positions').fill('2');
  await page.getByLabel('Max exposure per market (% equity)').fill('45');
  await checkPage(page, 'portfolio-backtest-form');

  await submitBacktest(page);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('binance portfolio of 2 markets 1h');
  await expect(page.getByTestId('run-markets')).toContainText('LINK/USDT, NEAR/USDT');
  const rows = page.getByTestId('portfolio-market-row');
  await expect(rows).toHaveCount(2);
  expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-symbol')))).toEqual(MARKETS.map((m) => m.symbol));
  const perMarket = (await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-trades'))))) as number[];
  for (const trades of perMarket) expect(trades).toBeGreaterThan(0);
  // The markets' trades add up to the run's.
  const total = perMarket.reduce((a, b) => a + b, 0);
  await expect(page.getByRole('heading', { name: `Trades (${total})` })).toBeVisible();
  await expect(page.getByTestId('metric-trades')).toContainText(String(total));
  for (const [i, trades] of perMarket.entries()) await expect(rows.nth(i).getByTestId('market-trades')).toHaveText(String(trades));
  // NEAR/USDT's candles start 100 hours after LINK/USDT's: it joined the run then.
  await expect(rows.nth(1).locator('td').last()).toHaveText('2024-04-05 04:00');
  // Both markets traded, so each correlates +1 with itself; the pair's r is a signed number with two decimals.
  await expect(page.getByTestId('correlation-0-0')).toHaveText('+1.00');
  await expect(page.getByTestId('correlation-1-1')).toHaveText('+1.00');
  await expect(page.getByTestId('correlation-0-1')).toHaveText(/^[+-]?(0|1)\.\d\d$/);
  await expect(page.getByTestId('correlation-1-0')).toHaveText((await page.getByTestId('correlation-0-1').textContent())!);
  await checkPage(page, 'portfolio-backtest-run');

  // Each market's link opens the chart on that market with the run picked: markers of that market's trades only.
  const runId = new URL(page.url()).pathname.split('/').pop()!;
  const trades = await runTrades(page, runId);
  expect(trades).toHaveLength(total);
  for (const [i, market] of MARKETS.entries()) {
    await page.goto(`/backtests/${runId}`);
    await rows.nth(i).getByTestId('market-chart-link').click();
    await expect(page).toHaveURL(/\/chart\?/);
    await expect(page.getByTestId('chart-source')).toHaveValue(`run:${runId}`);
    await expect(page.getByTestId('chart-picker').locator('select[name="stream"]')).toHaveValue(`binance|${market.symbol}|1h`);
    const mine = trades.filter((t) => t.symbol === market.symbol);
    // LINK/USDT's candles end 100 hours before the run's last clock: its end-of-run close comes after its last bar and is drawn on it.
    if (i === 0) expect(mine.filter((t) => t.exitReason === 'end-of-run').map((t) => t.exitTimeMs)).toEqual([START_MS + (MARKETS[1].offsetHours + COUNT) * HOUR]);
    expect(mine).toHaveLength(perMarket[i]);
    await expectTradeMarkers(page, mine);
    await expect(page.getByTestId('chart-summary')).toContainText(`run ${runId.slice(0, 8)}: ${mine.length} trades`);
    // The picker lists the run under this market too.
    await expect(page.getByTestId('chart-source').locator(`option[value="run:${runId}"]`)).toContainText('portfolio of 2 markets');
  }
  await checkPage(page, 'portfolio-backtest-chart');
});

/**
 * Backtests and the journal in the browser, signed in as a trader: field errors from the form,
 * a backtest queued from the form through to its results page, a second run, the journal
 * filtered (URL and rows checked), the CSV export (header and row count), a trade's decision
 * chain, the decision log, and two runs compared. Every visited page is screenshotted, scanned
 * with axe (no serious or critical violations) and checked at 390 px wide.
 *
 * Data: the synthetic ETH/USDT 5m market imported by the global setup (tests/e2e/synthetic-candles.ts).
 * On it, ma-crossover with default parameters closes 14 trades on its signals and holds a position at the
 * last candle, which the run closes at the end (`end-of-run`): 15 trades (checked with the in-memory engine).
 * With the end-of-run close unticked the run keeps that position open (14 trades).
 */
import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import { signIn } from './sign-in';
import { fillBacktestMarket, runBacktestFromForm } from './backtest-form';
import { checkPage } from './page-check';
import { SYNTHETIC_MARKET } from './synthetic-candles';

const CSV_HEADER = 'id,run_id,account_id,exchange,symbol,strategy,side,amount,entry_price,exit_price,entry_time,exit_time,realized_pnl,fees,funding,net_pnl,exit_reason,initial_risk,r_multiple';

test.describe.configure({ mode: 'serial' });

const runIds: string[] = [];

test('the backtest form shows zod field errors next to their fields', async ({ page }) => {
  await signIn(page, 'trader', '/backtests');
  await page.goto('/backtests');
  await fillBacktestMarket(page, { to: '2024-01-15' });
  await page.getByTestId('run-backtest').click();
  await expect(page.getByTestId('field-error-to')).toHaveText('"to" must be after "from"');
  // Strategy parameters are checked by the engine against the strategy's own schema (catalog strategies
  // are not known to the form's schema), once the form itself is valid.
  await fillBacktestMarket(page);
  await page.getByLabel('fastPeriod').fill('0');
  await page.getByTestId('run-backtest').click();
  await expect(page.getByTestId('field-error-params.ma-crossover.fastPeriod')).toBeVisible();
  await expect(page.getByLabel('fastPeriod')).toHaveAttribute('aria-invalid', 'true');
  await checkPage(page, 'backtests-form-errors');
});

test('runs a backtest from the form through its progress to the results page', async ({ page }) => {
  await signIn(page, 'trader', '/backtests');
  const runId = await runBacktestFromForm(page);
  runIds.push(runId);
  await expect(page).toHaveURL(new RegExp(`/backtests/${runId}$`));
  await expect(page.getByRole('heading', { name: 'Trades (15)' })).toBeVisible();
  await expect(page.getByTestId('trade-row')).toHaveCount(15);
  await expect(page.getByTestId('metric-trades')).toContainText('15');
  await expect(page.getByTestId('equity-chart')).toBeVisible();
  await checkPage(page, 'backtest-run');
});

test('runs a second backtest with another strategy', async ({ page }) => {
  await signIn(page, 'trader', '/backtests');
  runIds.push(
    await runBacktestFromForm(page, {
      configure: async (form) => {
        await form.getByTestId('strategy-ma-crossover').getByRole('checkbox').uncheck();
        await form.getByTestId('strategy-ema-trend').getByRole('checkbox').check();
      },
    }),
  );
  expect(new Set(runIds).size).toBe(2);
  await page.goto('/backtests');
  await expect(page.getByTestId('run-row')).toHaveCount(2);
  await checkPage(page, 'backtests');
});

test('filters the journal through the URL, sorts on the server and exports exactly the filtered rows as CSV', async ({ page }) => {
  await signIn(page, 'trader', '/journal');
  await page.goto('/journal');
  await page.getByLabel('Symbol').fill(SYNTHETIC_MARKET.symbol);
  await page.getByLabel('Side').selectOption('long');
  await page.getByLabel('Outcome').selectOption('win');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/[?&]symbol=ETH%2FUSDT/);
  await expect(page).toHaveURL(/[?&]side=long/);
  await expect(page).toHaveURL(/[?&]outcome=win/);
  const rows = page.getByTestId('trade-row');
  const count = await rows.count();
  expect(count).toBeGreaterThan(0);
  for (const row of await rows.all()) {
    await expect(row).toHaveAttribute('data-symbol', 'ETH/USDT');
    await expect(row).toHaveAttribute('data-side', 'long');
    expect(Number(await row.getAttribute('data-pnl'))).toBeGreaterThan(0);
  }
  await expect(page.getByTestId('next-page')).toHaveCount(0);

  await page.getByTestId('sort-pnl').click();
  await expect(page).toHaveURL(/[?&]sort=pnl/);
  await expect(page).toHaveURL(/[?&]outcome=win/);
  const pnls = await Promise.all((await page.getByTestId('trade-row').all()).map(async (r) => Number(await r.getAttribute('data-pnl'))));
  expect(pnls).toEqual([...pnls].sort((a, b) => b - a));

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  const csv = fs.readFileSync((await download.path())!, 'utf8');
  const lines = csv.split('\r\n').filter((l) => l !== '');
  expect(lines[0]).toBe(CSV_HEADER);
  expect(lines).toHaveLength(count + 1);
  expect(lines.slice(1).every((l) => l.split(',')[4] === 'ETH/USDT' && l.split(',')[6] === 'long')).toBe(true);

  // Keyboard: the export link is reachable with Tab from the top of the page.
  await page.locator('body').focus();
  let reached = false;
  for (let i = 0; i < 200 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.getAttribute('data-testid') === 'export-csv');
  }
  expect(reached).toBe(true);
  await checkPage(page, 'journal-filtered');
});

test('shows the decision chain of a trade, from its entry decision to its exit', async ({ page }) => {
  await signIn(page, 'trader', '/journal');
  await page.goto(`/journal?run=${runIds[0]}`);
  await expect(page.getByTestId('trade-row')).toHaveCount(15);
  await page.getByTestId('trade-row').last().getByRole('link', { name: /decision chain/ }).click();
  await expect(page).toHaveURL(/\/journal\/trades\//);
  const steps = page.getByTestId('chain-step');
  await expect(steps.first()).toHaveAttribute('data-outcome', 'executed');
  await expect(steps.first()).toContainText('ma-crossover');
  await checkPage(page, 'trade-chain');
});

test('lists decisions filtered by outcome, with their reasons', async ({ page }) => {
  await signIn(page, 'trader', '/journal/decisions');
  await page.goto('/journal/decisions');
  await page.getByLabel('Outcome').selectOption('executed');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/[?&]outcome=executed/);
  const rows = page.getByTestId('decision-row');
  expect(await rows.count()).toBeGreaterThan(0);
  for (const row of await rows.all()) await expect(row).toHaveAttribute('data-outcome', 'executed');
  await checkPage(page, 'decisions');
});

test('compares two runs side by side', async ({ page }) => {
  await signIn(page, 'trader', '/backtests');
  await page.goto('/backtests');
  for (const id of runIds) await page.getByRole('checkbox', { name: `Compare run ${id.slice(0, 8)}` }).check();
  await page.getByTestId('compare-runs').click();
  await expect(page).toHaveURL(/\/backtests\/compare\?/);
  await expect(page.getByRole('heading', { name: 'Compare 2 runs' })).toBeVisible();
  // Columns follow the runs list (newest first); the first run made 15 trades (14 + the end-of-run close).
  await expect(page.getByTestId('compare-trades').locator('td')).toHaveCount(2);
  const cells = await page.getByTestId('compare-trades').locator('td').allTextContents();
  expect(cells).toContain('15');
  expect(cells.every((c) => /^\d+$/.test(c))).toBe(true);
  await expect(page.getByTestId('equity-chart')).toBeVisible();
  await checkPage(page, 'backtests-compare');
});

test('shows empty states for a journal filter with no match and an unknown trade', async ({ page }) => {
  await signIn(page, 'viewer', '/journal');
  // A known symbol whose filters match nothing: the empty state, no error.
  await page.goto('/journal?symbol=ETH%2FUSDT&from=2020-01-01&to=2020-01-02');
  await expect(page.getByTestId('empty-state')).toBeVisible();
  await expect(page.getByTestId('filter-error')).toHaveCount(0);
  // A symbol the journal has never seen is named next to its field.
  await page.goto('/journal?symbol=NOPE%2FUSDT');
  await expect(page.getByTestId('error-symbol')).toContainText('no trade or decision in the journal has this symbol');
  await page.goto('/journal?from=not-a-date');
  await expect(page.getByTestId('error-from')).toBeVisible();
  await page.goto('/journal?from=2024-02-01&to=2024-01-01&page=-1');
  await expect(page.getByTestId('error-to')).toContainText('ends before from');
  await expect(page.getByTestId('filter-error')).toContainText('page: not a parameter here');
  await page.goto('/journal/trades/no-such-trade');
  await expect(page.getByTestId('empty-state')).toContainText('no-such-trade');
  await checkPage(page, 'journal-empty');
});

/** A number as the page shows it ("-2,376.54", "10,000.00 USDT"). */
const shownNumber = (text: string | null) => Number((text ?? '').replace(/[^0-9.-]/g, ''));

test('the net PnL column of a run sums to its final equity minus its initial balance', async ({ page }) => {
  // The first run closed the position it held at the end (end-of-run): nothing is left open.
  await signIn(page, 'trader', `/backtests/${runIds[0]}`);
  await page.goto(`/backtests/${runIds[0]}`);
  await expect(page.getByTestId('open-at-end')).toHaveCount(0);
  // The same run with the end-of-run close unticked ends holding it: the page says so, since that equity is not a trade yet.
  await runBacktestFromForm(page, { configure: (form) => form.getByTestId('close-at-end').uncheck() });
  await expect(page.getByTestId('open-at-end')).toContainText('still open when the run ended');
  // To 2024-02-11 the same strategy ends flat (14 trades, checked with the in-memory engine).
  await runBacktestFromForm(page, { to: '2024-02-11' });
  await expect(page.getByTestId('open-at-end')).toHaveCount(0);
  const cells = await page.getByTestId('trade-net-pnl').allTextContents();
  expect(cells).toHaveLength(14);
  const finalEquity = shownNumber(await page.getByTestId('metric-finalEquity').locator('td').textContent());
  const initialBalance = shownNumber(await page.getByTestId('run-initial-balance').textContent());
  expect(initialBalance).toBeGreaterThan(0);
  const change = finalEquity - initialBalance;
  // Each shown net PnL is rounded to the cent: their sum is within half a cent per row of the change.
  const sum = cells.map(shownNumber).reduce((a, b) => a + b, 0);
  expect(Math.abs(sum - change)).toBeLessThanOrEqual(cells.length * 0.005 + 1e-9);
  // The totals row adds the unrounded net PnLs: equal to the change to 2 decimals.
  expect(shownNumber(await page.getByTestId('total-net-pnl').textContent())).toBeCloseTo(change, 2);
  // Net = gross − fees − funding on the totals row too, and fees are their own column.
  const gross = shownNumber(await page.getByTestId('total-gross-pnl').textContent());
  const fees = shownNumber(await page.getByTestId('total-fees').textContent());
  const funding = shownNumber(await page.getByTestId('total-funding').textContent());
  expect(fees).toBeGreaterThan(0);
  expect(gross - fees - funding).toBeCloseTo(change, 1);
  // A row is green only when its net PnL is above zero.
  for (const row of await page.getByTestId('trade-row').all()) {
    const net = Number(await row.getAttribute('data-pnl'));
    await expect(row.getByTestId('trade-net-pnl')).toHaveClass(net > 0 ? /\bpos\b/ : net < 0 ? /\bneg\b/ : /^num$/);
  }
  // Prices with the decimals of the market's tick (the synthetic candles are quoted to 4 decimals), not raw floats.
  for (const cell of await page.getByTestId('trade-row').locator('td:nth-child(6), td:nth-child(7)').allTextContents()) expect(cell).toMatch(/^\d{1,3}(,\d{3})*\.\d{4}$/);
  await expect(page.getByTestId('metric-expectancy')).toContainText(/R$|—/);
  await expect(page.getByTestId('metric-expectancy')).toContainText('Expectancy (R');
  await expect(page.getByTestId('metric-averageTrade')).toContainText('Expectancy (');
});

test('the strategy settings take the signal TTL and cooldown in human units, with a field error for bad text', async ({ page }) => {
  await signIn(page, 'trader', '/strategies');
  await page.goto('/strategies');
  const ttl = page.getByLabel(/^Signal TTL/);
  const stored = await ttl.inputValue();
  // The stored value is shown in units, never as raw milliseconds; unsaved (one candle of each run's
  // timeframe) the field is empty and says so, as does the line above the form.
  if (stored === '') await expect(ttl).toHaveAttribute('placeholder', "1 candle (of the run's timeframe)");
  else expect(stored).toMatch(/^(\d+(d|h|m|s|ms) ?)+$/);
  await expect(page.getByTestId('signal-ttl')).toHaveText(stored === '' ? "1 candle (of the run's timeframe)" : stored);
  await ttl.fill('1x');
  await expect(page.getByTestId('error-strategy.ttlMs')).toContainText('Signal TTL: "1x" is not a duration');
  await expect(ttl).toHaveAttribute('aria-invalid', 'true');
  await page.getByTestId('save-strategy').click();
  await expect(page.getByTestId('save-error')).toContainText('Not saved: Signal TTL: "1x" is not a duration');
  // "90m" reads as 1h 30m; typing the stored value back saves it unchanged.
  await ttl.fill('90m');
  await ttl.blur();
  await expect(ttl).toHaveValue('1h 30m');
  await expect(page.getByTestId('error-strategy.ttlMs')).toHaveCount(0);
  await ttl.fill(stored);
  await page.getByTestId('save-strategy').click();
  await expect(page.getByTestId('save-ok')).toBeVisible();
  await page.reload();
  await expect(page.getByLabel(/^Signal TTL/)).toHaveValue(stored);
  await expect(page.getByTestId('signal-ttl')).toHaveText(stored === '' ? "1 candle (of the run's timeframe)" : stored);
  await expect(page.getByLabel(/^Cooldown/)).toHaveValue(/^(\d+(d|h|m|s|ms) ?)+$/);
});

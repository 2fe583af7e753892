/**
 * The chart as the analysis view, on the production build, signed in as a trader (named to run
 * after journal-backtests.spec.ts, which counts the stored runs): a backtest run
 * from the form opened on the chart from its run page (a marker at every trade's entry and exit
 * time, the run picked in the source picker, a marker's decision chain, the volume and indicator
 * panes named), a trade's "chart" link landing centred on that trade, and a jump to a date.
 *
 * Data: the synthetic ETH/USDT 5m market imported by the global setup (tests/e2e/synthetic-candles.ts);
 * ma-crossover with default parameters closes 14 trades on its signals and the end-of-run close (ticked, the
 * default) one more, at the clock after the last candle: its exit is drawn on the last bar.
 */
import { expect, test, type Locator } from '@playwright/test';
import { signIn } from './sign-in';
import { expectTradeMarkers, markerTimes, runTrades } from './chart-markers';
import { runBacktestFromForm } from './backtest-form';

test.describe.configure({ mode: 'serial' });

let runId = '';

test('a backtest run from the form opens on the chart with a marker at each trade entry and exit', async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, 'trader', '/backtests');
  runId = await runBacktestFromForm(page, { configure: (form) => expect(form.getByTestId('close-at-end')).toBeChecked() });

  await page.getByTestId('run-chart-link').click();
  await expect(page).toHaveURL(new RegExp(`/chart\\?run=${runId}$`));
  await expect(page.getByTestId('chart-source')).toHaveValue(`run:${runId}`);
  const trades = await runTrades(page, runId);
  // 14 on signals plus the end-of-run close, timed at the stream's end (the last candle's open + 5 minutes).
  expect(trades).toHaveLength(15);
  const endOfRun = trades.filter((t) => t.exitReason === 'end-of-run');
  expect(endOfRun).toHaveLength(1);
  expect(endOfRun[0].exitTimeMs).toBe(Math.max(...trades.map((t) => t.exitTimeMs)));
  // Entries and exits, the end-of-run exit included (vetoed or denied signals, if any, come on top).
  await expectTradeMarkers(page, trades);
  expect((await markerTimes(page)).get(endOfRun[0].exitTimeMs)).toContain('exit');
  await expect(page.getByTestId('chart-summary')).toContainText(`run ${runId.slice(0, 8)}: 15 trades`);
  await expect(page.locator('[data-testid="price-chart"] canvas').first()).toBeVisible();

  // A marker opens its decision chain (the list is the keyboard path to what a click on the canvas opens).
  await page.getByText(/Markers in this window/).click();
  await page.getByTestId('chart-marker').first().getByRole('button').click();
  await expect(page.getByTestId('chart-chain')).toBeVisible();
  await expect(page.getByTestId('decision-chain').getByTestId('chain-step').first()).toBeVisible();
  await page.screenshot({ path: 'test-results/screenshots/chart-run.png', fullPage: true });
});

test('"chart" on a trade row lands centred on that trade with its indicators', async ({ page }) => {
  await signIn(page, 'trader', `/backtests/${runId}`);
  await page.goto(`/backtests/${runId}`);
  const trades = await runTrades(page, runId);
  const endOfRunExitMs = trades.find((t) => t.exitReason === 'end-of-run')!.exitTimeMs;
  const linkOf = async (link: Locator) => {
    const params = new URL((await link.getAttribute('href'))!, 'http://x').searchParams;
    return { link, entryMs: Number(params.get('from')), exitMs: Number(params.get('to')), atMs: Number(params.get('at')) };
  };
  const links = await Promise.all((await page.getByTestId('trade-chart-link').all()).map(linkOf));
  expect(links).toHaveLength(15);
  for (const l of links) expect(l.atMs).toBe(Math.round((l.entryMs + l.exitMs) / 2));
  // A trade inside the stream (the end-of-run close sits at the stream's end, where no bars follow to centre on).
  const { link, entryMs, exitMs, atMs } = links.find((l) => l.exitMs !== endOfRunExitMs)!;
  await link.click();
  await expect(page).toHaveURL(/\/chart\?/);
  const chart = page.getByTestId('price-chart');
  await expect(chart).toHaveAttribute('data-visible-from', /\d+/);
  await expect
    .poll(async () => {
      const from = Number(await chart.getAttribute('data-visible-from'));
      const to = Number(await chart.getAttribute('data-visible-to'));
      return from <= entryMs && to >= exitMs && Math.abs((from + to) / 2 - atMs) <= 3 * 300_000;
    })
    .toBe(true);
  const markers = await markerTimes(page);
  expect(markers.get(entryMs)).toContain('entry');
  // ma-crossover's two moving averages with the run's (default) periods, and the volume pane.
  await expect(page.getByTestId('chart-summary')).toContainText('SMA(20), SMA(50)');
  await page.screenshot({ path: 'test-results/screenshots/chart-trade.png', fullPage: true });

  // The end-of-run trade's link shows it up to the last bar (open 5 minutes before the exit), which carries its exit.
  await page.goto(`/backtests/${runId}`);
  const last = links.find((l) => l.exitMs === endOfRunExitMs)!;
  await page.getByTestId('trade-chart-link').nth(links.indexOf(last)).click();
  await expect(page).toHaveURL(/\/chart\?/);
  await expect
    .poll(async () => {
      const from = Number(await chart.getAttribute('data-visible-from'));
      const to = Number(await chart.getAttribute('data-visible-to'));
      return from <= last.entryMs && to >= last.exitMs - 300_000;
    })
    .toBe(true);
  await expect.poll(async () => (await markerTimes(page)).get(last.exitMs)).toContain('exit');
});

test('jumping to a date centres the chart on that day and puts it in the URL', async ({ page }) => {
  await signIn(page, 'trader', `/chart?run=${runId}`);
  await page.goto(`/chart?run=${runId}`);
  // Candles loaded means the chart is hydrated: a date typed earlier would be reset by React.
  await expect(page.getByTestId('chart-summary')).toContainText('bars of');
  await page.getByLabel('Jump to date (UTC)').fill('2024-02-05');
  await page.getByRole('button', { name: 'Go' }).click();
  const day = Date.UTC(2024, 1, 5);
  await expect(page).toHaveURL(new RegExp(`[?&]at=${day}`));
  const chart = page.getByTestId('price-chart');
  await expect
    .poll(async () => {
      const from = Number(await chart.getAttribute('data-visible-from'));
      const to = Number(await chart.getAttribute('data-visible-to'));
      return from < day && to > day && Math.abs((from + to) / 2 - day) <= 3 * 300_000;
    })
    .toBe(true);
});

test('"chart" on a decision row lands centred on that decision, with its run\'s markers', async ({ page }) => {
  await signIn(page, 'trader', `/journal/decisions?run=${runId}`);
  await page.goto(`/journal/decisions?run=${runId}&outcome=executed`);
  // One from the middle of the run: at the data's edges the chart cannot scroll past the first or last bar.
  const links = page.getByTestId('decision-chart-link');
  const first = links.nth(Math.floor((await links.count()) / 2));
  const atMs = Number(new URL((await first.getAttribute('href'))!, 'http://x').searchParams.get('at'));
  await first.click();
  await expect(page).toHaveURL(new RegExp(`[?&]run=${runId}`));
  await expect(page.getByTestId('chart-source')).toHaveValue(`run:${runId}`);
  const chart = page.getByTestId('price-chart');
  await expect
    .poll(async () => {
      const from = Number(await chart.getAttribute('data-visible-from'));
      const to = Number(await chart.getAttribute('data-visible-to'));
      return from < atMs && to > atMs && Math.abs((from + to) / 2 - atMs) <= 3 * 300_000;
    })
    .toBe(true);
  // An executed decision opened or closed a trade: a marker sits at its time.
  await expect.poll(async () => (await markerTimes(page)).has(atMs)).toBe(true);
});

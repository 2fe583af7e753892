/**
 * Studies from the UI, on the production build: a trader starts a 3 × 3 grid study of ma-crossover
 * (fastPeriod 5, 10, 15 × slowPeriod 30, 40, 50; atrPeriod held at one value), walked forward in three
 * rolling windows, over the synthetic ETH/USDT 5m market (tests/e2e/synthetic-candles.ts, 3 000 candles)
 * from the form, watches it complete, reads exactly 9 full-range trials, the 3 × 3 heatmap, the
 * out-of-sample equity and the overfitting guards, applies the best params to the account
 * settings and finds them saved on /strategies (then puts the saved settings back, so later specs run
 * with the settings they expect). An inverted parameter range is refused next to its field, nothing queued.
 * The study page fits 390 px.
 */
import { expect, test, type Page } from '@playwright/test';
import { signIn } from './sign-in';
import { openStudyForm } from './study-form';
import { rangeAround } from '../../app/studies/_lib/space-fields';
import { checkPage } from './page-check';

test.describe.configure({ mode: 'serial' });

const FAST = [5, 10, 15];
const SLOW = [30, 40, 50];
const adapterInput = (page: Page, field: string) => page.locator(`[id="strategy.adapters.ma-crossover.${field}"]`);

/** Opens /studies and fills the market, range and ma-crossover's space (fast and slow as ranges, the ATR period held). */
async function fillStudy(page: Page, fast: { min: string; max: string; step: string }) {
  const form = await openStudyForm(page, 'ma-crossover');
  const fastGroup = form.getByRole('group', { name: 'fastPeriod', exact: true });
  await fastGroup.getByLabel('Search').selectOption('range');
  await fastGroup.getByLabel('Min', { exact: true }).fill(fast.min);
  await fastGroup.getByLabel('Max', { exact: true }).fill(fast.max);
  await fastGroup.getByLabel('Step', { exact: true }).fill(fast.step);
  const slowGroup = form.getByRole('group', { name: 'slowPeriod', exact: true });
  await slowGroup.getByLabel('Search').selectOption('range');
  await slowGroup.getByLabel('Min', { exact: true }).fill(String(SLOW[0]));
  await slowGroup.getByLabel('Max', { exact: true }).fill(String(SLOW[2]));
  await slowGroup.getByLabel('Step', { exact: true }).fill('10');
  const atrGroup = form.getByRole('group', { name: 'atrPeriod', exact: true });
  await atrGroup.getByLabel('Search').selectOption('fixed');
  await atrGroup.getByLabel('Value', { exact: true }).fill('14');
  await form.getByLabel('Method').selectOption('grid');
  await form.getByLabel('Objective (maximised)').selectOption('sharpe');
  await form.getByLabel('Minimum trades').fill('1');
}

test('a trader runs a 3 × 3 grid study from the form, reads its trials, heatmap and guards, and applies the best params', async ({ page }) => {
  test.setTimeout(300_000);
  await signIn(page, 'trader', '/strategies');
  // The saved ma-crossover settings before, put back at the end.
  const before = {
    enabled: await adapterInput(page, 'enabled').isChecked(),
    fast: await adapterInput(page, 'params.fastPeriod').inputValue(),
    slow: await adapterInput(page, 'params.slowPeriod').inputValue(),
  };

  await fillStudy(page, { min: String(FAST[0]), max: String(FAST[2]), step: '5' });
  // Walked forward: 4-day in-sample, 2-day out-of-sample windows, rolling by 2 days over 2024-02-01..12 (11 days):
  // window k optimises days [2k, 2k+4) and tests [2k+4, 2k+6) while 2k+6 <= 11, so k = 0, 1, 2.
  await page.getByTestId('walk-forward-on').check();
  await page.getByLabel('Windows').selectOption('rolling');
  await page.getByLabel('In-sample (days)').fill('4');
  await page.getByLabel('Out-of-sample (days)').fill('2');
  // 3 fast × 3 slow × 1 ATR period × 1 stop multiple.
  await expect(page.getByTestId('grid-size')).toContainText('Grid size: 9 combinations');
  await page.getByTestId('start-study').click();
  await expect(page).toHaveURL(/\/studies\/[^/]+$/, { timeout: 30_000 });
  const studyPath = new URL(page.url()).pathname;

  const progress = page.getByTestId('study-progress');
  await expect(progress).toHaveAttribute('data-status', /^(completed|failed|cancelled)$/, { timeout: 180_000 });
  expect(await progress.getAttribute('data-status'), (await progress.textContent()) ?? '').toBe('completed');
  // The page re-renders with the results once the poller saw the study end.
  await expect(page.getByTestId('trial-row')).toHaveCount(9, { timeout: 30_000 });
  await expect(page.getByTestId('trial-count')).toContainText('9 trials over the whole range.');
  await expect(page.getByTestId('study-candidates')).toHaveText('9');
  // Every grid point appears once.
  const paramsCells = await page.getByTestId('trial-row').locator('td:nth-child(2)').allTextContents();
  const pairs = paramsCells.map((text) => /fastPeriod (\d+), slowPeriod (\d+)/.exec(text)?.slice(1).join('/')).sort();
  expect(pairs).toEqual(FAST.flatMap((f) => SLOW.map((s) => `${f}/${s}`)).sort());
  // Sorted by objective, highest first (unscored trials last).
  const objectives = (await page.getByTestId('trial-objective').allTextContents()).filter((t) => t !== '—').map((t) => Number(t.replace(/,/g, '')));
  expect(objectives).toEqual([...objectives].sort((a, b) => b - a));

  // The heatmap over fastPeriod (columns) and slowPeriod (rows): 3 × 3 labelled cells and a legend.
  const heatmap = page.getByTestId('heatmap');
  await expect(heatmap.getByLabel('Columns (x)')).toHaveValue('fastPeriod');
  await expect(heatmap.getByLabel('Rows (y)')).toHaveValue('slowPeriod');
  await expect(heatmap.getByTestId('heat-cell')).toHaveCount(9);
  await expect(heatmap.getByRole('columnheader')).toHaveText(['slowPeriod ↓ / fastPeriod →', ...FAST.map(String)]);
  await expect(heatmap.getByRole('rowheader')).toHaveText(SLOW.map(String));
  await expect(heatmap.getByTestId('heatmap-legend')).toBeVisible();

  // The walk-forward: three windows, the stitched out-of-sample equity and the degradation.
  const walkForward = page.getByTestId('walk-forward');
  await expect(walkForward.getByTestId('window-row')).toHaveCount(3);
  await expect(walkForward.getByTestId('equity-chart')).toBeVisible();
  await expect(walkForward.getByTestId('degradation')).toContainText(/in-sample/);

  // The overfitting guards: each a verdict in words, or the reason it could not be computed.
  const guards = page.getByTestId('overfitting');
  await expect(guards.getByRole('heading', { name: 'Probability of backtest overfitting' })).toBeVisible();
  await expect(guards.getByTestId('pbo-verdict').or(guards.getByTestId('pbo-unavailable'))).toHaveText(/\w+/);
  await expect(guards.getByRole('heading', { name: 'Deflated Sharpe ratio' })).toBeVisible();
  await expect(guards.getByTestId('dsr-verdict').or(guards.getByTestId('dsr-unavailable'))).toHaveText(/\w+/);

  // What apply changes: the best fast/slow periods against the saved ones.
  const best = /fastPeriod (\d+), slowPeriod (\d+)/.exec((await page.getByTestId('best-params').textContent()) ?? '');
  expect(best).not.toBeNull();
  const [bestFast, bestSlow] = [best![1], best![2]];
  const diff = page.getByTestId('apply-diff');
  await expect(diff.locator('[data-param="fastPeriod"] td').nth(0)).toHaveText(before.fast);
  await expect(diff.locator('[data-param="fastPeriod"] td').nth(1)).toHaveText(bestFast);
  await expect(diff.locator('[data-param="slowPeriod"] td').nth(1)).toHaveText(bestSlow);

  await checkPage(page, 'study');

  await page.getByTestId('apply-study').click();
  await page.getByTestId('confirm-apply').click();
  await expect(page.getByTestId('apply-ok')).toBeVisible();
  await expect(page.getByTestId('applied-at')).toBeVisible();

  await page.goto('/strategies');
  await expect(adapterInput(page, 'params.fastPeriod')).toHaveValue(bestFast);
  await expect(adapterInput(page, 'params.slowPeriod')).toHaveValue(bestSlow);
  await expect(adapterInput(page, 'enabled')).toBeChecked();

  // The list shows the study completed.
  await page.goto('/studies');
  const row = page.getByTestId('study-row').filter({ has: page.locator(`a[href="${studyPath}"]`) });
  await expect(row.getByTestId('study-status')).toHaveAttribute('data-status', 'completed');

  // A new study starts around the settings now saved: five values a quarter of the applied fast period apart (a period's
  // schema range is 1-10,000 in steps of 1), not the whole range.
  const form = await openStudyForm(page, 'ma-crossover');
  const around = rangeAround({ name: 'fastPeriod', kind: 'range', min: 1, max: 10_000, step: 1, integer: true }, Number(bestFast))!;
  const fastGroup = form.getByRole('group', { name: 'fastPeriod', exact: true });
  await expect(fastGroup.getByLabel('Search')).toHaveValue('range');
  await expect(fastGroup.getByLabel('Min', { exact: true })).toHaveValue(String(around.min));
  await expect(fastGroup.getByLabel('Max', { exact: true })).toHaveValue(String(around.max));
  await expect(fastGroup.getByLabel('Step', { exact: true })).toHaveValue(String(around.step));
  expect(around.min).toBeLessThanOrEqual(Number(bestFast));
  expect(around.max).toBeGreaterThanOrEqual(Number(bestFast));

  // Put the saved settings back for the specs after this one.
  await page.goto('/strategies');
  await adapterInput(page, 'params.fastPeriod').fill(before.fast);
  await adapterInput(page, 'params.slowPeriod').fill(before.slow);
  await adapterInput(page, 'enabled').setChecked(before.enabled);
  await page.getByTestId('save-strategy').click();
  await expect(page.getByTestId('save-ok')).toBeVisible();
  await page.reload();
  await expect(adapterInput(page, 'params.fastPeriod')).toHaveValue(before.fast);
});

test('an inverted parameter range is refused next to its field and queues nothing', async ({ page }) => {
  await signIn(page, 'trader', '/studies');
  const studiesBefore = await page.getByTestId('study-row').count();
  await fillStudy(page, { min: '15', max: '5', step: '5' });
  await expect(page.getByTestId('grid-size')).toContainText('unknown until every range is valid');
  await page.getByTestId('start-study').click();
  const error = page.getByTestId('field-error-space.fastPeriod.min');
  await expect(error).toContainText('15');
  await expect(page.getByRole('group', { name: 'fastPeriod', exact: true }).getByLabel('Min', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByTestId('form-error')).toBeVisible();
  await expect(page).toHaveURL(/\/studies$/);
  await page.reload();
  await expect(page.getByTestId('study-row')).toHaveCount(studiesBefore);
  await checkPage(page, 'studies');
});

test('a viewer reads the studies but gets no form', async ({ page }) => {
  await signIn(page, 'viewer', '/studies');
  await expect(page.getByRole('heading', { name: 'Studies', level: 1 })).toBeVisible();
  await expect(page.getByTestId('study-form')).toHaveCount(0);
  await expect(page.getByText('Starting a study needs the trader role')).toBeVisible();
  await page.getByTestId('study-row').first().getByRole('link').click();
  await expect(page.getByTestId('apply-settings')).toContainText('Applying needs the trader role.');
  await expect(page.getByTestId('cancel-study')).toHaveCount(0);
});

/**
 * The models in the loop from the UI (production build): an admin trains a volatility model on the first six days of
 * the synthetic ETH/USDT 5m market from the Models page and deploys it; then runs the same 2-candidate study twice from
 * the study form, once with the volatility model ticked and once without, and a backtest with it. The study page and the
 * run page name the version every trial or run traded with; through /api/v1 the two studies hold the same candidates and
 * trade counts (the model sizes entries, it does not choose them) and a different result for every candidate.
 *
 * Data: the synthetic ETH/USDT 5m candles imported by global setup (tests/e2e/synthetic-candles.ts).
 */
import { expect, test, type Page } from '@playwright/test';
import { runBacktestFromForm } from './backtest-form';
import { signIn } from './sign-in';
import { openStudyForm } from './study-form';
import { SYNTHETIC_FROM, SYNTHETIC_MARKET } from './synthetic-candles';

test.describe.configure({ mode: 'serial' });

/** Far below any predicted per-candle volatility here: every entry is sized at the floor, a quarter. */
const TARGET = '0.0001';

/** Ticks the volatility model in the form on `page` (its fieldset shared by the backtest and study forms) with the target above. */
async function tickVolatility(page: Page, version: number) {
  const model = page.getByTestId('model-volatility');
  await expect(model).toContainText(`volatility@v${version} deployed`);
  await model.getByRole('checkbox').check();
  await model.getByLabel('Target volatility per candle').fill(TARGET);
  await model.getByLabel('Min size ×').fill('0.25');
}

/** Starts a grid study of ma-crossover (fastPeriod 5 and 10, slowPeriod 30, ATR 14) over the whole market from the form, `configure` before the start; returns its id once complete. */
async function runStudy(page: Page, configure: () => Promise<void>): Promise<string> {
  const form = await openStudyForm(page, 'ma-crossover');
  const fast = form.getByRole('group', { name: 'fastPeriod', exact: true });
  await fast.getByLabel('Search').selectOption('values');
  await fast.getByLabel('Values (comma-separated)').fill('5, 10');
  for (const [name, value] of [['slowPeriod', '30'], ['atrPeriod', '14']] as const) {
    const group = form.getByRole('group', { name, exact: true });
    await group.getByLabel('Search').selectOption('fixed');
    await group.getByLabel('Value', { exact: true }).fill(value);
  }
  await form.getByLabel('Method').selectOption('grid');
  await form.getByLabel('Objective (maximised)').selectOption('netProfit');
  await form.getByLabel('Minimum trades').fill('1');
  await configure();
  await page.getByTestId('start-study').click();
  await expect(page).toHaveURL(/\/studies\/[^/]+$/, { timeout: 30_000 });
  const progress = page.getByTestId('study-progress');
  await expect(progress).toHaveAttribute('data-status', /^(completed|failed|cancelled)$/, { timeout: 180_000 });
  expect(await progress.getAttribute('data-status'), (await progress.textContent()) ?? '').toBe('completed');
  await expect(page.getByTestId('trial-row')).toHaveCount(2, { timeout: 30_000 });
  return new URL(page.url()).pathname.split('/').pop()!;
}

interface StudyTrials {
  trials: { params: Record<string, unknown>; metrics: { trades: number; netProfit: number | null } }[];
}

test('an admin deploys a volatility model and compares it on and off in a study, and trades a backtest with it', async ({ page }) => {
  test.setTimeout(420_000);
  await signIn(page, 'admin', '/models');
  const train = page.getByTestId('train-form');
  await train.getByRole('combobox', { name: 'Model' }).selectOption('train-volatility');
  await train.getByRole('textbox', { name: /^Exchange/ }).fill(SYNTHETIC_MARKET.exchange);
  await train.getByRole('textbox', { name: /^Symbol/ }).fill(SYNTHETIC_MARKET.symbol);
  await train.getByRole('textbox', { name: /^Timeframe/ }).fill(SYNTHETIC_MARKET.timeframe);
  await train.getByRole('textbox', { name: /^From/ }).fill(SYNTHETIC_FROM);
  await train.getByRole('textbox', { name: /^To/ }).fill('2024-02-07');
  await train.getByRole('textbox', { name: /^Walk-forward folds/ }).fill('3');
  await train.getByRole('textbox', { name: /^Horizon/ }).fill('12');
  await train.getByRole('button', { name: 'Queue training' }).click();
  const ticket = page.getByTestId('training-ticket');
  await expect(ticket.getByTestId('training-status')).toHaveText('succeeded', { timeout: 150_000 });
  const trained = (await ticket.getByTestId('training-version').textContent()) ?? '';
  const version = Number(/Trained version v(\d+)/.exec(trained)?.[1]);
  expect(version, trained).toBeGreaterThan(0);

  await page.goto('/models');
  await page.getByRole('button', { name: `Deploy v${version}` }).click();
  await expect(page.getByTestId('model-row').filter({ hasText: `v${version}` }).first()).toContainText('active', { timeout: 30_000 });

  const withModel = await runStudy(page, () => tickVolatility(page, version));
  const models = page.getByTestId('study-models');
  await expect(models).toContainText(`volatility@v${version}: size × target 0.010% per candle ÷ predicted, within 0.25–1`);
  const withoutModel = await runStudy(page, async () => undefined);
  await expect(page.getByTestId('study-models')).toHaveText('none (regime, volatility and stop-distance models off)');

  // The list tells the two apart.
  await page.goto('/studies');
  await expect(page.locator(`[data-testid="study-row"]:has(a[href="/studies/${withModel}"]) [data-testid="study-row-models"]`)).toHaveText(`volatility@v${version}`);
  await expect(page.locator(`[data-testid="study-row"]:has(a[href="/studies/${withoutModel}"]) [data-testid="study-row-models"]`)).toHaveText('off');

  const trialsOf = async (id: string) => {
    const answer = await page.request.get(`/api/v1/studies/${id}`);
    expect(answer.status()).toBe(200);
    return ((await answer.json()) as StudyTrials).trials;
  };
  const on = await trialsOf(withModel);
  const off = await trialsOf(withoutModel);
  expect(on.map((t) => t.params.fastPeriod)).toEqual([5, 10]);
  expect(on.map((t) => t.params)).toEqual(off.map((t) => t.params));
  for (let k = 0; k < on.length; k++) {
    expect(off[k].metrics.trades).toBeGreaterThan(0);
    expect(on[k].metrics.trades).toBe(off[k].metrics.trades);
    expect(on[k].metrics.netProfit).not.toBe(off[k].metrics.netProfit);
  }

  await runBacktestFromForm(page, { configure: () => tickVolatility(page, version) });
  await expect(page.getByTestId('run-models')).toContainText(`volatility@v${version}: size × target 0.010% per candle ÷ predicted, within 0.25–1`);
});

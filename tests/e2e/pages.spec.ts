import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { signIn } from './sign-in';
import { driftPagePath, E2E_DRIFT_SESSION, E2E_NO_CANDLES_SESSION } from './live-sessions-fixture';

/** Every page of the app, visited as an admin (who may open them all). */
const PAGES = [
  { name: 'overview', path: '/' },
  { name: 'chart', path: '/chart' },
  { name: 'markets', path: '/markets' },
  { name: 'journal', path: '/journal' },
  { name: 'journal-decisions', path: '/journal/decisions' },
  { name: 'backtests', path: '/backtests' },
  { name: 'studies', path: '/studies' },
  { name: 'strategies', path: '/strategies' },
  { name: 'strategies-check', path: '/strategies/check' },
  { name: 'what-if', path: '/what-if' },
  { name: 'accounts', path: '/accounts' },
  { name: 'account-default', path: '/accounts/default' },
  { name: 'live', path: '/live' },
  { name: 'live-drift', path: driftPagePath(E2E_DRIFT_SESSION.id) },
  { name: 'live-drift-no-candles', path: driftPagePath(E2E_NO_CANDLES_SESSION.id) },
  { name: 'jobs', path: '/jobs' },
  { name: 'models', path: '/models' },
  { name: 'admin-users', path: '/admin/users' },
  { name: 'admin-tokens', path: '/admin/tokens' },
  { name: 'admin-audit', path: '/admin/audit' },
  { name: 'admin-webhooks', path: '/admin/webhooks' },
  { name: 'admin-credentials', path: '/admin/credentials' },
  { name: 'admin-notifications', path: '/admin/notifications' },
] as const;

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

async function settle(page: Page) {
  await expect(page.locator('#main')).toBeVisible();
  await expect(page.getByTestId('page-loading')).toHaveCount(0);
  // 'load', not 'networkidle': pages poll for live data and prefetch their links, so the network is never idle for long.
  await page.waitForLoadState('load');
}

test.describe('every page', () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page, 'admin');
  });

  for (const { name, path } of PAGES) {
    test(`${path} renders without serious accessibility violations at 1280 and at 390 px, and without horizontal scroll at 390 px`, async ({ page }) => {
      await page.setViewportSize({ width: 1280, height: 900 });
      const response = await page.goto(path);
      expect(response?.status()).toBeLessThan(400);
      await settle(page);
      await expect(page.getByTestId('forbidden')).toHaveCount(0);
      await expect(page.getByTestId('page-error')).toHaveCount(0);
      await page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: true });
      expect(await seriousViolations(page)).toEqual([]);

      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(path);
      await settle(page);
      await page.screenshot({ path: `test-results/screenshots/${name}-390.png`, fullPage: true });
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      // At 390 px wide tables scroll inside their own region: axe checks a keyboard user can reach it.
      expect(await seriousViolations(page)).toEqual([]);
    });
  }
});

test('the login page has no serious accessibility violations and fits 390 px', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/login');
  await expect(page.getByTestId('login-form')).toBeVisible();
  await page.screenshot({ path: 'test-results/screenshots/login.png', fullPage: true });
  expect(await seriousViolations(page)).toEqual([]);
  expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
});

test('the skip link and the main navigation are reachable from the keyboard', async ({ page }) => {
  await signIn(page, 'viewer');
  await page.goto('/');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Chart' }).focus();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/chart$/);
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Chart' })).toHaveAttribute('aria-current', 'page');
});

test('the theme toggle switches to light and the choice survives a reload', async ({ page }) => {
  await signIn(page, 'viewer');
  await page.goto('/');
  const toggle = page.getByTestId('theme-toggle');
  await expect(toggle).toHaveText('Theme: system');
  await toggle.click(); // -> dark
  await toggle.click(); // -> light
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await expect(page.getByTestId('theme-toggle')).toHaveText('Theme: light');
});

test('the overview shows empty states and the risk state before anything has traded', async ({ page }) => {
  await signIn(page, 'viewer');
  await page.goto('/');
  await expect(page.getByTestId('metric-cards')).toBeVisible();
  await expect(page.getByTestId('positions-empty')).toBeVisible();
  // Money in the account's quote currency, and the breakers as the account page shows them (one table for both).
  const risk = page.getByTestId('risk-state');
  await expect(risk.getByTestId('breaker-daily_loss')).toContainText('Daily loss');
  await expect(risk.getByTestId('breaker-max_drawdown')).toContainText('Drawdown from peak');
  await expect(risk.getByRole('columnheader', { name: 'Headroom (USDT)' })).toBeVisible();
  await expect(risk.getByRole('columnheader', { name: 'Trips at equity (USDT)' })).toBeVisible();
  await expect(page.getByTestId('metric-cards')).toContainText('Net PnL today (USDT)');
  // Says what its trade statistics cover: this account's sessions, not another account's or a backtest's.
  await expect(page.getByTestId('stats-as-of')).toContainText(/^\d+ closed trades? of this account's live, paper and replay sessions \(other accounts' trades and backtests are not counted\)/);
  await expect(page.getByTestId('metric-cards')).toContainText('Expectancy (USDT per trade)');
  await expect(page.getByTestId('equity').locator('..')).toContainText(/^Equity [\d,]+\.\d{2} USDT \(started at [\d,]+\.\d{2} USDT; updated /);
});

test('the chart loads the imported candles through the candle window route', async ({ page }) => {
  await signIn(page, 'viewer');
  await page.goto('/chart');
  await expect(page.getByTestId('chart-summary')).toContainText('12 bars of 5m from');
  await expect(page.locator('[data-testid="price-chart"] canvas').first()).toBeVisible();
});

test('an invalid risk limit is rejected with the message next to its field, and nothing is saved', async ({ page }) => {
  await signIn(page, 'admin');
  await page.goto('/strategies');
  await page.getByLabel(/^Max leverage/).fill('0');
  await page.getByTestId('save-risk').click();
  await expect(page.getByTestId('error-risk.maxLeverage')).toHaveText('Too small: expected number to be >0');
  await page.reload();
  await expect(page.getByLabel(/^Max leverage/)).toHaveValue('1');
});

test('a trader halts and resumes the default account from the strategies page, each with a reason', async ({ page }) => {
  await signIn(page, 'trader');
  await page.goto('/strategies');
  // The breakers as the overview and the account page show them: one table, money in the account's quote currency.
  const controls = page.getByTestId('risk-controls');
  await expect(controls.getByTestId('breaker-daily_loss')).toContainText('Daily loss');
  await expect(controls.getByTestId('breaker-max_drawdown')).toContainText('Drawdown from peak');
  await expect(controls.getByRole('columnheader', { name: 'Trips at equity (USDT)' })).toBeVisible();
  await page.getByTestId('halt-form').getByLabel('Reason').fill('e2e check');
  await page.getByTestId('halt-form').getByRole('button', { name: 'Halt trading' }).click();
  await expect(page.getByTestId('risk-controls').getByTestId('risk-halted')).toBeVisible();
  await expect(page.getByTestId('risk-controls')).toContainText('manual: e2e check');
  await page.getByTestId('resume-form').getByLabel('Reason').fill('e2e check over');
  await page.getByTestId('resume-form').getByRole('button', { name: 'Resume trading' }).click();
  await expect(page.getByTestId('risk-controls').getByTestId('risk-active')).toBeVisible();
});

test('the what-if panel sizes a manual order from the risk settings', async ({ page }) => {
  await signIn(page, 'trader');
  await page.goto('/what-if');
  await page.getByLabel('Entry price').fill('100');
  await page.getByLabel('Stop price').fill('95');
  await page.getByTestId('preview-order').click();
  const result = page.getByTestId('what-if-result');
  await expect(result).toContainText('risk approves');
  // default risk: 1 % of 10,000 at risk, sized with the paper account's costs (DEFAULT_PAPER: 10 bps taker fee,
  // 2 bps spread, 2 bps slippage): entry fill 100.03, stop fill 95 x 0.9997 = 94.9715,
  // loss per unit 5.0585 + 0.001 x 195.0015 = 5.2535015 -> 19.034924 units
  await expect(page.getByTestId('what-if-size')).toHaveText('19.034924');
  await expect(page.getByTestId('what-if-costs-in-sizing')).toHaveText('10.00 bps fee, 2.00 bps spread, 2.00 bps slippage');
  await expect(page.getByTestId('what-if-loss-at-stop-equity')).toHaveText('1.00%');
});

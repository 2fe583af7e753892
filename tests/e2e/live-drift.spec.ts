/**
 * The live drift view in the browser, as a viewer: from a /live row to the session's page, the
 * totals per cause and the trades only the replay made (the seeded session journaled no live
 * trades), the JSON route behind the same gate, the candles-missing error state and an unknown id.
 * Sessions are stored by global setup (live-sessions-fixture.ts).
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { driftPagePath, E2E_DRIFT_SESSION, E2E_NO_CANDLES_SESSION } from './live-sessions-fixture';
import { signIn } from './sign-in';

interface DriftJson {
  sessionId: string;
  fromMs: number;
  toMs: number;
  rows: unknown[];
  onlyLive: unknown[];
  onlySimulated: { realizedPnl: number; fees: number; funding: number }[];
  totals: { entryFill: number; exitFill: number; fees: number; funding: number; timing: number; pnl: number };
}

const apiPath = (id: string) => `/api/live/${encodeURIComponent(id)}/drift`;

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`);
}

test('a viewer opens a session from /live and sees the drift per cause and the replay-only trades', async ({ page }) => {
  await signIn(page, 'viewer', '/live');
  await page.goto('/live');
  await page.getByRole('link', { name: `Drift versus replay: ${E2E_DRIFT_SESSION.exchange} ${E2E_DRIFT_SESSION.symbol} ${E2E_DRIFT_SESSION.timeframe}` }).click();
  await expect(page).toHaveURL((url) => url.pathname === driftPagePath(E2E_DRIFT_SESSION.id));
  await expect(page.getByTestId('session-summary')).toContainText(E2E_DRIFT_SESSION.id);
  await expect(page.getByTestId('session-summary')).toContainText('paper (dry run)');
  await expect(page.getByTestId('session-summary')).toContainText('2024-02-05 00:00:00Z to 2024-02-11 10:00:00Z');

  // The page shows what the route returns.
  const response = await page.request.get(apiPath(E2E_DRIFT_SESSION.id));
  expect(response.status()).toBe(200);
  const drift = (await response.json()) as DriftJson;
  expect(drift.sessionId).toBe(E2E_DRIFT_SESSION.id);
  expect(drift.rows).toEqual([]);
  expect(drift.onlyLive).toEqual([]);
  expect(drift.onlySimulated.length).toBeGreaterThan(0);
  // No live trades: every departure is timing, minus the net PnL of each replay trade.
  const replayNet = drift.onlySimulated.reduce((sum, t) => sum + t.realizedPnl - t.fees - t.funding, 0);
  expect(drift.totals.timing).toBeCloseTo(-replayNet, 6);
  expect(drift.totals.pnl).toBeCloseTo(drift.totals.timing, 9);
  expect([drift.totals.entryFill, drift.totals.exitFill, drift.totals.fees, drift.totals.funding]).toEqual([0, 0, 0, 0]);

  await expect(page.getByTestId('trade-counts')).toHaveText(`0 live, ${drift.onlySimulated.length} in the replay, 0 matched`);
  await expect(page.getByTestId('drift-empty')).toContainText(`This session has made no trades yet; the replay made ${drift.onlySimulated.length}`);
  const totals = page.getByRole('table', { name: 'PnL difference per cause, live minus replay, in quote currency' });
  await expect(totals.getByRole('rowheader')).toHaveText(['Entry fill', 'Exit fill', 'Fees', 'Funding', 'Timing', 'Net PnL difference']);
  expect(Number(await page.getByTestId('drift-cause-timing').getAttribute('data-amount'))).toBeCloseTo(drift.totals.timing, 6);
  expect(Number(await page.getByTestId('drift-cause-total').getAttribute('data-amount'))).toBeCloseTo(drift.totals.pnl, 6);
  await expect(page.getByTestId('drift-unmatched-row')).toHaveCount(drift.onlySimulated.length);
  await expect(page.getByTestId('drift-unmatched-row').first()).toHaveAttribute('data-where', 'replay only');

  await page.screenshot({ path: 'test-results/screenshots/live-drift-viewer.png', fullPage: true });
  expect(await seriousViolations(page)).toEqual([]);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await expect(page.getByTestId('drift-totals')).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
  await page.screenshot({ path: 'test-results/screenshots/live-drift-viewer-390.png', fullPage: true });
});

test('a session whose candles are missing shows the 400 message and the download command', async ({ page }) => {
  await signIn(page, 'viewer', '/live');
  const response = await page.request.get(apiPath(E2E_NO_CANDLES_SESSION.id));
  expect(response.status()).toBe(400);
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('bad_request:input');
  expect(body.error.message).toContain('download them first with download-candles');

  await page.goto(driftPagePath(E2E_NO_CANDLES_SESSION.id));
  const problem = page.getByTestId('drift-error');
  await expect(problem).toContainText(body.error.message);
  await expect(page.getByTestId('download-command')).toHaveText('npm run cli -- download-candles --exchange binance --symbol SOL/USDT --timeframe 5m --since 2024-03-01');
  await expect(page.getByTestId('drift-totals')).toHaveCount(0);
  await expect(page.getByTestId('page-error')).toHaveCount(0);
});

test('an unknown session shows the not-found state, and the route names the value', async ({ page }) => {
  await signIn(page, 'viewer', '/live');
  await page.goto(driftPagePath('live:binance:NOPE/USDT:5m'));
  await expect(page.getByTestId('empty-state')).toContainText('No live session has id live:binance:NOPE/USDT:5m');
  const response = await page.request.get(apiPath('live:binance:NOPE/USDT:5m'));
  expect(response.status()).toBe(400);
  expect(((await response.json()) as { error: { message: string } }).error.message).toContain('"live:binance:NOPE/USDT:5m"');
});

test('the drift route answers 401 without a session', async ({ request }) => {
  const response = await request.get(apiPath(E2E_DRIFT_SESSION.id));
  expect(response.status()).toBe(401);
});

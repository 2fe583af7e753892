/**
 * Portfolio VaR on the overview (production build): a trader opens a paper position on the default account
 * through /api/v1, and the overview shows its value-at-risk and expected shortfall in the quote currency and
 * in % of equity, as the account view computes them, with the horizon and lookback stated; the figure is
 * checked against a second computation from the candle file; the page fits 390 px; closing the position
 * brings back "no open positions".
 *
 * Data: the DOT/USDT replay market imported by global setup (tests/e2e/synthetic-candles.ts), 6 000 5m candles.
 */
import { expect, test } from '@playwright/test';
import { fmtMoney, fmtPct } from '../../app/_components/format';
import { signIn } from './sign-in';
import { checkPage } from './page-check';
import { REPLAY_MARKETS, replayClose, replayLastClose } from './synthetic-candles';

const [DOT] = REPLAY_MARKETS;
const COUNT = 6_000;

interface ValueAtRiskView {
  status: string;
  timeframe: string;
  scenarios: number;
  quantileRank: number;
  valueAtRisk: number;
  expectedShortfall: number;
  varFraction: number;
  esFraction: number;
}

test('the overview shows the default account’s VaR and ES of an open position, and “no open positions” once flat', async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, 'trader', '/');
  const origin = new URL(page.url()).origin;
  const price = replayLastClose(DOT);
  const placed = await page.request.post('/api/v1/accounts/default/orders', { headers: { origin }, data: { symbol: DOT.symbol, side: 'long', price, stopPrice: price * 0.98 } });
  expect(placed.status(), await placed.text()).toBe(201);

  const view = (await (await page.request.get('/api/v1/accounts/default')).json()) as { positions: { symbol: string; amount: number; markPrice: number }[]; valueAtRisk: ValueAtRiskView };
  const v = view.valueAtRisk;
  // Only DOT/USDT (5m) is held: the 500 latest 5m returns, k = ceil(500 x 0.01) = 5, the 5th-worst.
  expect(v).toMatchObject({ status: 'ok', timeframe: '5m', scenarios: 500, quantileRank: 5 });
  const dot = view.positions.find((p) => p.symbol === DOT.symbol)!;
  if (view.positions.length === 1) {
    const returns = Array.from({ length: 500 }, (_, t) => replayClose(DOT, COUNT - 500 + t) / replayClose(DOT, COUNT - 501 + t) - 1).sort((a, b) => a - b);
    expect(v.valueAtRisk).toBeCloseTo(-dot.amount * dot.markPrice * returns[4], 6);
  }

  await page.goto('/');
  const card = page.getByTestId('overview-var');
  await expect(card.getByRole('heading', { name: 'Portfolio value-at-risk' })).toBeVisible();
  await expect(card.getByTestId('var-value')).toHaveText(`${fmtMoney(v.valueAtRisk)} (${fmtPct(v.varFraction * 100)} of equity)`);
  await expect(card.getByTestId('es-value')).toHaveText(`${fmtMoney(v.expectedShortfall)} (${fmtPct(v.esFraction * 100)} of equity)`);
  await expect(card.getByTestId('var-basis')).toContainText("Loss over one 5m candle, by historical simulation of today's positions over the last 500 candle returns");
  await expect(card.getByTestId('var-limits')).toHaveText('off / off');
  await checkPage(page, 'overview-var');

  const closed = await page.request.post('/api/v1/accounts/default/positions/close', { headers: { origin }, data: { symbol: DOT.symbol } });
  expect(closed.status(), await closed.text()).toBe(200);
  if (view.positions.length === 1) {
    await page.reload();
    await expect(page.getByTestId('overview-var').getByTestId('var-flat')).toContainText('No open positions');
  }
});

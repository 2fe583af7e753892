/**
 * Portfolio VaR on the overview (production build): a trader opens a paper position on the default account
 * through /api/v1, and the overview shows its value-at-risk and expected shortfall in the quote currency and
 * in % of equity, as the account view computes them, with the horizon and lookback stated; the figure is
 * checked against a second computation from the candle file; the page fits 390 px; closing the position
 * brings back "no open positions". An admin then sets a portfolio VaR limit on /strategies: the what-if panel denies
 * an order past it, quoting VaR and ES that match a computation by hand from the candle file, shows the failing check
 * with its figures (not rounded to 0.00) and offers no placing; the same order sent to the API's order route is
 * refused with the same reason. The limit is put back.
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

test('an admin sets a VaR limit on the strategies page; the what-if panel denies an order past it with the figures, and the order route refuses it', async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, 'admin', '/strategies');
  const origin = new URL(page.url()).origin;
  // Flat first, so the order is the whole portfolio.
  const before = (await (await page.request.get('/api/v1/accounts/default')).json()) as { positions: { symbol: string }[] };
  for (const { symbol } of before.positions) {
    const closed = await page.request.post('/api/v1/accounts/default/positions/close', { headers: { origin }, data: { symbol } });
    expect(closed.status(), await closed.text()).toBe(200);
  }
  const price = replayLastClose(DOT);
  const preview = async () => {
    await page.goto('/what-if');
    await page.getByLabel('Symbol').selectOption(DOT.symbol);
    await page.getByLabel('Side').selectOption('long');
    await page.getByLabel('Entry price').fill(String(price));
    await page.getByLabel('Stop price').fill(String(price * 0.98));
    await page.getByTestId('preview-order').click();
    return page.getByTestId('what-if-result');
  };
  // Without a limit the order is approved: its size, which the limit does not change.
  await expect((await preview()).getByRole('heading')).toHaveText(/^risk approves/);
  const sizeText = (await page.getByTestId('what-if-size').textContent())!;
  const amount = Number(sizeText.replace(/,/g, ''));
  expect(amount).toBeGreaterThan(0);

  await page.goto('/strategies');
  const limit = page.getByLabel(/^Max portfolio VaR/);
  await limit.fill('0.0005');
  await page.getByTestId('save-risk').click();
  await page.reload();
  await expect(limit).toHaveValue('0.0005');
  try {
    const result = await preview();
    await expect(result.getByRole('heading')).toContainText('risk denies var_fraction ');
    const heading = (await result.getByRole('heading').textContent()) ?? '';
    const match = /var_fraction ([\d.]+) of equity exceeds maxVarFraction 0\.0005 \(VaR ([\d.]+) and ES ([\d.]+) at 99% over 500 candles of 5m\)$/.exec(heading);
    expect(match, heading).not.toBeNull();
    const [, fraction, valueAtRisk, shortfall] = match!.map(Number);
    // By hand: the order's notional times the 5th-worst (k = ceil(500 x 0.01)) of the last 500 5m returns, and the mean of the 5 worst.
    const returns = Array.from({ length: 500 }, (_, t) => replayClose(DOT, COUNT - 500 + t) / replayClose(DOT, COUNT - 501 + t) - 1).sort((a, b) => a - b);
    const notional = amount * price;
    expect(Math.abs(valueAtRisk - -notional * returns[4])).toBeLessThan(1e-4 + notional * 1e-6);
    expect(Math.abs(shortfall - (-notional * returns.slice(0, 5).reduce((a, b) => a + b, 0)) / 5)).toBeLessThan(1e-4 + notional * 1e-6);
    expect(fraction).toBeGreaterThan(0.0005);
    await expect(result).toContainText(/var_fraction 0\.\d+ \/ 0\.0005 FAIL/);
    // The size the limit refused is the one approved without it: the VaR check does not change the sizing.
    await expect(page.getByTestId('what-if-size')).toHaveText('0.000000');
    await expect(page.getByTestId('what-if-size-refused')).toHaveText(sizeText);

    // The panel offers no placing; the order sent anyway (the API's order route, the same risk gate) is refused with the same figures.
    await expect(page.getByTestId('place-order')).toBeDisabled();
    const sent = await page.request.post('/api/v1/accounts/default/orders', { headers: { origin }, data: { symbol: DOT.symbol, side: 'long', price, stopPrice: price * 0.98 } });
    expect(sent.status(), await sent.text()).toBe(422);
    expect(((await sent.json()) as { reason: string }).reason).toBe(heading.replace(/^risk denies /, '').trim());
    const after = (await (await page.request.get('/api/v1/accounts/default')).json()) as { positions: unknown[] };
    expect(after.positions).toEqual([]);
  } finally {
    await page.goto('/strategies');
    await limit.fill('');
    await page.getByTestId('save-risk').click();
    await page.reload();
    await expect(limit).toHaveValue('');
  }
});

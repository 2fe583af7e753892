/**
 * Accounts governed from the browser (production build). An admin creates a futures paper account
 * and sets its risk limits through the forms; a trader starts two replay sessions on it (one through
 * the Live page's form, one through /api/v1), halts the account with a reason on its page while both
 * trade, sees in the journal that neither enters after the candle that followed the halt (and that
 * both were denied for the halt), resumes, and sees entries again. A second account gets a manual
 * position through the API, which the trader force-exits from the account page: part, then the rest.
 *
 * Data: the replay markets imported by global setup (tests/e2e/synthetic-candles.ts).
 */
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { fmtAmount, fmtNumber, fmtPrice } from '../../app/_components/format';
import { signIn } from './sign-in';
import { REPLAY_FROM, REPLAY_MARKETS, REPLAY_TIMEFRAME_MS, replayLastClose } from './synthetic-candles';

test.describe.configure({ mode: 'serial' });
test.setTimeout(180_000);

const ACCOUNT = 'e2e-replay';
const EXIT_ACCOUNT = 'e2e-exit';
const [DOT, XRP] = REPLAY_MARKETS;
/** Candles per second of each replay: about one entry a second per session, and the 5,700 candles last the test out. */
const SPEED = 50;
/** Two replays share the server's event loop (and a busy machine): an action's answer may take a while. */
const ACTION_MS = 30_000;

interface Decision {
  timeMs: number;
  outcome: string;
  reason: string;
  side: string;
}

async function decisions(request: APIRequestContext, symbol: string, outcome: 'executed' | 'denied'): Promise<Decision[]> {
  const response = await request.get(`/api/decisions?symbol=${encodeURIComponent(symbol)}&outcome=${outcome}&limit=1000`);
  // Until a symbol's first decision is journaled the journal does not know it.
  if (!response.ok()) return [];
  return ((await response.json()) as { items: Decision[] }).items;
}

const entries = async (request: APIRequestContext, symbol: string) => (await decisions(request, symbol, 'executed')).filter((d) => d.reason.startsWith('entered'));

/** Last candle each running session of the account has processed, by symbol. */
async function lastCandles(request: APIRequestContext): Promise<Map<string, number>> {
  const body = (await (await request.get('/api/v1/sessions')).json()) as { sessions: { symbol: string; config: { accountId?: string }; state: { lastCandleMs: number | null } | null }[] };
  return new Map(body.sessions.filter((s) => s.config.accountId === ACCOUNT && s.state?.lastCandleMs).map((s) => [s.symbol, s.state!.lastCandleMs!]));
}

async function expectNoSeriousAxeViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}

test('an admin creates a futures paper account (field errors first) and sets its risk limits', async ({ page }) => {
  await signIn(page, 'admin', '/accounts');
  await page.goto('/accounts');
  const create = page.getByTestId('create-account-form');
  await create.getByLabel(/^Id/).fill(ACCOUNT);
  await create.getByLabel(/^Name/).fill('E2E replay desk');
  await create.getByLabel(/^Market type/).selectOption('futures');
  await create.getByLabel(/^Initial balance/).fill('-5');
  await create.getByLabel(/^Leverage/).fill('500');
  await create.getByRole('button', { name: 'Create account' }).click();
  await expect(create.getByTestId('error-initialBalance')).toHaveText('must be above 0');
  await expect(create.getByTestId('error-leverage')).toHaveText('must be <= 125');
  await expect(create.getByLabel(/^Initial balance/)).toHaveAttribute('aria-invalid', 'true');

  await create.getByLabel(/^Initial balance/).fill('10000');
  await create.getByLabel(/^Leverage/).fill('3');
  await create.getByLabel(/^Max volume share/).fill('1');
  await create.getByRole('button', { name: 'Create account' }).click();
  await expect(create.getByTestId('result-id')).toHaveText(ACCOUNT);

  await page.goto(`/accounts/${ACCOUNT}`);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('E2E replay desk');
  await expect(page.getByTestId('account-equity')).toHaveText('10,000.00');
  const edit = page.getByTestId('edit-account-form');
  for (const [label, value] of [[/^Max open positions/, '2'], [/^Max leverage/, '5'], [/^Max symbol exposure/, '200'], [/^Risk per trade/, '0.5'], [/^Daily loss breaker/, '50'], [/^Drawdown breaker/, '90']] as const) {
    await edit.getByLabel(label).fill(value);
  }
  await edit.getByRole('button', { name: 'Save settings and limits' }).click();
  await expect(page.getByTestId('action-error')).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId('edit-account-form').getByLabel(/^Max open positions/)).toHaveValue('2');
  // Breakers in % and in the quote currency: 50 % daily loss of 10,000 leaves 5,000 of headroom.
  await expect(page.getByTestId('breaker-daily_loss').getByTestId('headroom-pct')).toHaveText('50.00%');
  await expect(page.getByTestId('breaker-daily_loss').getByTestId('headroom-equity')).toHaveText('5,000.00');
});

test('a trader halts an account on its page while two replay sessions trade it, then resumes it', async ({ page }) => {
  await signIn(page, 'trader', '/live');
  await page.goto('/live');
  const form = page.getByTestId('live-start-form');
  // A failed start names the field and leaves no session behind.
  await form.getByLabel(/^Account/).selectOption(ACCOUNT);
  await form.getByLabel(/^Symbol/).fill(DOT.symbol);
  await form.getByLabel(/^Timeframe/).selectOption(DOT.timeframe);
  await form.getByLabel(/^Veto model/).selectOption('off');
  await form.getByLabel(/^Replay from/).fill('2031-01-01');
  await form.getByLabel(/^Replay speed/).fill(String(SPEED));
  await form.getByRole('button', { name: 'Start session' }).click();
  await expect(form.getByTestId('error-from')).toContainText('no stored candles of binance DOT/USDT 5m start at or after it');
  await expect(page.getByTestId('live-session-row').filter({ hasText: DOT.symbol })).toHaveCount(0);

  await form.getByLabel(/^Replay from/).fill(REPLAY_FROM);
  await form.getByRole('button', { name: 'Start session' }).click();
  await expect(form.getByTestId('result-id')).toHaveText(`replay:${ACCOUNT}:binance:${DOT.symbol}:5m`, { timeout: ACTION_MS });
  // Cookie-authenticated mutations must name this origin (the gate's cross-site rule), as a browser does.
  const second = await page.request.post('/api/v1/sessions', {
    headers: { origin: new URL(page.url()).origin },
    data: { accountId: ACCOUNT, mode: 'replay', exchange: XRP.exchange, symbol: XRP.symbol, timeframe: XRP.timeframe, strategies: ['ma-crossover'], from: REPLAY_FROM, speed: SPEED, veto: 'off' },
  });
  expect(second.status()).toBe(201);

  await page.reload();
  for (const market of [DOT, XRP]) {
    const row = page.getByTestId('live-session-row').filter({ hasText: market.symbol });
    await expect(row.getByTestId('session-mode')).toHaveText('replay');
    await expect(row.getByTestId('session-account')).toHaveText('E2E replay desk');
    await expect(row.getByTestId('session-status')).toHaveText('running');
  }
  await expect.poll(async () => (await entries(page.request, DOT.symbol)).length, { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
  await expect.poll(async () => (await entries(page.request, XRP.symbol)).length, { timeout: 60_000 }).toBeGreaterThanOrEqual(1);

  await page.goto(`/accounts/${ACCOUNT}`);
  const halt = page.getByTestId('halt-form');
  await halt.getByRole('button', { name: 'Halt trading' }).click();
  // The reason is required before anything is sent.
  expect(await halt.getByLabel(/^Reason/).evaluate((input: HTMLInputElement) => input.validity.valueMissing)).toBe(true);
  await expect(page.getByTestId('risk-controls').getByTestId('risk-active')).toBeVisible();
  await halt.getByLabel(/^Reason/).fill('e2e news halt');
  await halt.getByRole('button', { name: 'Halt trading' }).click();
  await expect(page.getByTestId('risk-controls').getByTestId('risk-halted')).toBeVisible({ timeout: ACTION_MS });
  await expect(page.getByTestId('risk-controls').getByTestId('halt-reason')).toHaveText('manual: e2e news halt');
  const atHalt = await lastCandles(page.request);
  const view = await (await page.request.get(`/api/v1/accounts/${ACCOUNT}`)).json();
  expect(view.risk).toMatchObject({ halted: true, haltReason: 'manual: e2e news halt' });
  await expectNoSeriousAxeViolations(page);

  // Both sessions keep trading candles and are denied for the halt; neither enters after the candle that followed it.
  for (const market of [DOT, XRP]) {
    await expect
      .poll(async () => (await decisions(page.request, market.symbol, 'denied')).filter((d) => d.reason === 'halted: manual: e2e news halt').length, { timeout: 60_000 })
      .toBeGreaterThanOrEqual(1);
  }
  const afterDenials = await lastCandles(page.request);
  for (const market of [DOT, XRP]) {
    expect(afterDenials.get(market.symbol)!).toBeGreaterThan(atHalt.get(market.symbol)! + 2 * REPLAY_TIMEFRAME_MS);
    const late = (await entries(page.request, market.symbol)).filter((d) => d.timeMs > atHalt.get(market.symbol)! + REPLAY_TIMEFRAME_MS);
    expect(late, `${market.symbol} entries after the halt`).toEqual([]);
  }

  const resume = page.getByTestId('resume-form');
  await resume.getByLabel(/^Reason/).fill('e2e news passed');
  await resume.getByRole('button', { name: 'Resume trading' }).click();
  await expect(page.getByTestId('risk-controls').getByTestId('risk-active')).toBeVisible({ timeout: ACTION_MS });
  const atResume = await lastCandles(page.request);
  for (const market of [DOT, XRP]) {
    await expect
      .poll(async () => (await entries(page.request, market.symbol)).filter((d) => d.timeMs > atResume.get(market.symbol)!).length, { timeout: 60_000 })
      .toBeGreaterThanOrEqual(1);
  }

  // Stop both from the Live page.
  await page.goto('/live');
  for (const market of [DOT, XRP]) {
    const row = page.getByTestId('live-session-row').filter({ hasText: market.symbol });
    await row.getByRole('button', { name: `Stop ${market.symbol}` }).click();
    await expect(page.getByTestId('live-session-row').filter({ hasText: market.symbol }).getByTestId('session-status')).toHaveText(/stopped|completed/, { timeout: ACTION_MS });
  }

  // Its trades carry the replayed candles' times, as its decisions do: entered at an entry decision's candle close.
  const dotTrades = ((await (await page.request.get(`/api/trades?symbol=${encodeURIComponent(DOT.symbol)}&limit=1000`)).json()) as { items: { entryTimeMs: number; exitTimeMs: number }[] }).items;
  expect(dotTrades.length).toBeGreaterThanOrEqual(1);
  const entryTimes = new Set((await entries(page.request, DOT.symbol)).map((d) => d.timeMs));
  for (const t of dotTrades) {
    expect(entryTimes.has(t.entryTimeMs), `trade entered at ${new Date(t.entryTimeMs).toISOString()}`).toBe(true);
    expect(t.exitTimeMs).toBeGreaterThanOrEqual(t.entryTimeMs);
    // Within the replayed candles (about 20 days from REPLAY_FROM), far from today's wall-clock time.
    expect(t.exitTimeMs).toBeLessThan(Date.parse(`${REPLAY_FROM}T00:00:00Z`) + 30 * 86_400_000);
  }

  // The journal says whose sessions traded: both replays' trades are this account's, none is the default account's
  // (whose overview counts its own sessions' trades alone).
  type AccountTrade = { id: string; symbol: string; runId: string | null; accountId?: string };
  const accountTrades = ((await (await page.request.get(`/api/trades?account=${ACCOUNT}&limit=1000`)).json()) as { items: AccountTrade[] }).items;
  expect(accountTrades.filter((t) => t.symbol === DOT.symbol).map((t) => t.id).sort()).toEqual((dotTrades as unknown as AccountTrade[]).map((t) => t.id).sort());
  expect(accountTrades.every((t) => t.accountId === ACCOUNT && t.runId === null)).toBe(true);
  expect(((await (await page.request.get(`/api/trades?account=default&symbol=${encodeURIComponent(DOT.symbol)}`)).json()) as { items: unknown[] }).items).toEqual([]);
  const refused = await page.request.get('/api/trades?account=Not%20An%20Account');
  expect(refused.status()).toBe(400);
  expect(await refused.text()).toContain('account');
  // The account page groups its sessions' trades (every one of them, no other account's).
  await page.goto(`/accounts/${ACCOUNT}`);
  await expect(page.getByTestId('trade-breakdown')).toHaveAttribute('data-trades', String(accountTrades.length), { timeout: ACTION_MS });
  await page.getByTestId('account-journal-link').click();
  await expect(page).toHaveURL(new RegExp(`/journal\\?account=${ACCOUNT}$`));
  await expect(page.getByTestId('trade-row')).toHaveCount(Math.min(accountTrades.length, 50));
  // The journal's account filter shows the same trades, and a trade's page names its account.
  await page.goto('/journal');
  const filters = page.getByTestId('trades-filters');
  await filters.getByLabel('Account').selectOption(ACCOUNT);
  await filters.getByLabel('Symbol').fill(DOT.symbol);
  await filters.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(new RegExp(`account=${ACCOUNT}`));
  await expect(page.getByTestId('trade-row')).toHaveCount(Math.min(dotTrades.length, 50));
  await page.getByTestId('trade-row').first().getByRole('link', { name: /decision chain$/ }).click();
  await expect(page.getByRole('link', { name: ACCOUNT, exact: true })).toHaveAttribute('href', `/accounts/${ACCOUNT}`);

  // A replay session's drift view replays the candles it replayed (from REPLAY_FROM), not the wall-clock time it started.
  const dotId = `replay:${ACCOUNT}:binance:${DOT.symbol}:5m`;
  const drift = await page.request.get(`/api/live/${encodeURIComponent(dotId)}/drift`);
  expect(drift.status()).toBe(200);
  const report = (await drift.json()) as { fromMs: number; toMs: number; rows: unknown[]; onlyLive: unknown[] };
  expect(report.fromMs).toBe(Date.parse(`${REPLAY_FROM}T00:00:00Z`));
  expect(report.toMs).toBeGreaterThan(afterDenials.get(DOT.symbol)!);
  expect(report.rows.length + report.onlyLive.length).toBeGreaterThanOrEqual(1);
  // Its chart shows its trades where it made them: from the first replayed candle, this account's rows alone.
  await page.goto(`/chart?session=${encodeURIComponent(dotId)}`);
  await expect(page.getByTestId('chart-summary')).toContainText(`session ${dotId}: ${dotTrades.length} trades`, { timeout: ACTION_MS });
  // The live view is one account's: this account's trades there (a trade's chart link names it), none on the default
  // account's, and all of them among every account's, which shows no account's working stops beside them.
  const around = { from: Math.min(...dotTrades.map((t) => t.entryTimeMs)) - 3_600_000, to: Math.max(...dotTrades.map((t) => t.exitTimeMs)) + 3_600_000 };
  const dotStream = encodeURIComponent(`binance|${DOT.symbol}|${DOT.timeframe}`);
  await page.goto(`/chart?stream=${dotStream}&account=${ACCOUNT}&from=${around.from}&to=${around.to}`);
  await expect(page.getByTestId('chart-source')).toHaveValue(`account:${ACCOUNT}`);
  await expect(page.getByTestId('chart-summary')).toContainText(`account ${ACCOUNT}: ${dotTrades.length} trades`, { timeout: ACTION_MS });
  await page.goto(`/chart?stream=${dotStream}&source=account:default&from=${around.from}&to=${around.to}`);
  await expect(page.getByTestId('chart-summary')).toContainText('account default: 0 trades', { timeout: ACTION_MS });
  await page.goto(`/chart?stream=${dotStream}&source=live&from=${around.from}&to=${around.to}`);
  await expect(page.getByTestId('chart-source')).toHaveValue('live');
  await expect(page.getByTestId('chart-summary')).toContainText(new RegExp(`every account: ${dotTrades.length} trades · \\d+ vetoed/denied signals · 0 working stops`), { timeout: ACTION_MS });
  await page.goto(`/chart?stream=${dotStream}&account=no-such-account`);
  await expect(page.getByTestId('chart-source-missing')).toHaveText(`Account "no-such-account" does not exist (deleted?); showing every account's live markers instead.`);
  await page.goto('/journal');
  await page.getByTestId('trades-filters').getByLabel('Account').selectOption(ACCOUNT);
  await page.getByTestId('trades-filters').getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByTestId('trade-row').first().getByTestId('trade-chart-link')).toHaveAttribute('href', new RegExp(`[?&]account=${ACCOUNT}(&|$)`));
  await page.goto(`/live/${encodeURIComponent(dotId)}`);
  await expect(page.getByTestId('trade-counts')).toContainText(`${report.rows.length + report.onlyLive.length} live`);
  await expect(page.getByTestId('drift-error')).toHaveCount(0);

  // The audit log keeps who halted and resumed, with each reason.
  await signIn(page, 'admin', '/accounts');
  for (const [action, reason] of [['account.halt', 'e2e news halt'], ['account.resume', 'e2e news passed']]) {
    const audit = (await (await page.request.get(`/api/audit?action=${action}&limit=1`)).json()) as { items: { target: string; outcome: string; actorEmail: string; after: { reason: string } }[] };
    expect(audit.items[0]).toMatchObject({ target: ACCOUNT, outcome: 'ok', actorEmail: 'trader@e2e.test', after: { reason } });
  }
});

test('a trader previews and places a manual order on an account from its page, then force-exits part of the position and the rest', async ({ page }) => {
  await signIn(page, 'admin', '/accounts');
  const created = await page.request.post('/api/v1/accounts', {
    headers: { origin: new URL(page.url()).origin },
    data: {
      id: EXIT_ACCOUNT,
      name: 'E2E force exit',
      marketType: 'futures',
      initialBalance: 10_000,
      leverage: 3,
      // Isolated: the position alone backs its margin, so it has a liquidation price (cross margin on 10,000 would not).
      marginMode: 'isolated',
      maxVolumeShare: 1,
      makerFeeBps: 0,
      takerFeeBps: 0,
      spreadBps: 0,
      slippageBps: 0,
      risk: { maxLeverage: 5, maxOpenPositions: 2, maxSymbolExposurePct: 200, riskPerTradePct: 0.5, dailyLossLimitPct: 50, maxDrawdownPct: 90 },
    },
  });
  expect(created.status()).toBe(201);
  await signIn(page, 'trader', `/accounts/${EXIT_ACCOUNT}`);
  const price = replayLastClose(XRP);
  const defaultXrp = async () =>
    ((await (await page.request.get('/api/v1/accounts/default')).json()) as { positions: { symbol: string; amount: number }[] }).positions.filter((p) => p.symbol === XRP.symbol);
  const defaultBefore = await defaultXrp();

  // The order ticket of this account, from its page: its own limits and fees (none), its leverage (3) to start with.
  await page.getByTestId('account-what-if').click();
  await expect(page).toHaveURL(new RegExp(`/what-if\\?account=${EXIT_ACCOUNT}$`));
  await expect(page.getByRole('combobox', { name: 'Account' })).toHaveValue(EXIT_ACCOUNT);
  await expect(page.getByRole('combobox', { name: 'Account' }).locator('option:checked')).toHaveText(`E2E force exit (${EXIT_ACCOUNT}, futures 3×)`);
  await expect(page.getByLabel(/^Leverage/)).toHaveValue('3');
  // Each market starts at its own last stored close: DOT's, then XRP's once picked (the stop is cleared with it).
  await page.getByLabel('Symbol').selectOption(DOT.symbol);
  await expect(page.getByLabel('Entry price')).toHaveValue(String(replayLastClose(DOT)));
  await page.getByLabel('Stop price').fill('1');
  await page.getByLabel('Symbol').selectOption(XRP.symbol);
  await expect(page.getByLabel('Entry price')).toHaveValue(String(price));
  await expect(page.getByLabel('Stop price')).toHaveValue('');
  await page.getByLabel('Stop price').fill(String(price - 2));
  // Leverage 6 is past the account's maxLeverage 5: denied, with the size the limit refused.
  await page.getByLabel(/^Leverage/).fill('6');
  await page.getByTestId('preview-order').click();
  const result = page.getByTestId('what-if-result');
  await expect(result.getByRole('heading')).toHaveText('risk denies leverage_requested 6 exceeds maxLeverage 5');
  // No costs: the loss at the stop is 0.5 % of 10,000 = 50 = amount x 2, so the amount is 25.
  await expect(page.getByTestId('what-if-size')).toHaveText('0.000000');
  await expect(page.getByTestId('what-if-size-refused')).toHaveText('25.000000');
  await expect(page.getByTestId('place-order')).toBeDisabled();
  // 4x is within the limits, but this account opens every position at its 3x: a what-if (a quarter margin), not an order.
  await page.getByLabel(/^Leverage/).fill('4');
  await page.getByTestId('preview-order').click();
  await expect(result.getByRole('heading')).toHaveText(/^risk approves/);
  await expect(page.getByTestId('what-if-leverage')).toHaveText('4×');
  await expect(page.getByTestId('what-if-margin-used')).toHaveText(fmtNumber((25 * price) / 4));
  await expect(page.getByTestId('what-if-leverage-note')).toHaveText(
    "Preview only: E2E force exit opens every position at 3×, its leverage setting. Set leverage to 3 to place this order, or change the account's leverage on its page while it holds no position.",
  );
  await expect(page.getByTestId('place-order')).toBeDisabled();
  await page.getByLabel(/^Leverage/).fill('3');
  await page.getByTestId('preview-order').click();
  await expect(result.getByRole('heading')).toHaveText(/^risk approves/);
  await expect(page.getByTestId('what-if-leverage')).toHaveText('3×');
  await expect(page.getByTestId('what-if-leverage-note')).toHaveCount(0);
  await expect(page.getByTestId('what-if-size')).toHaveText('25.000000');
  await expect(page.getByTestId('what-if-size-refused')).toHaveCount(0);
  // Margin at 3x: 25 x price / 3; loss at the stop 50 = 0.50 % of this account's 10,000.
  await expect(page.getByTestId('what-if-margin-used')).toHaveText(fmtNumber((25 * price) / 3));
  await expect(page.getByTestId('what-if-loss-at-stop-equity')).toHaveText('0.50%');
  await page.getByRole('button', { name: 'Place paper order on E2E force exit' }).click();
  await expect(page.getByTestId('place-result')).toContainText('Placed: entry filled at', { timeout: ACTION_MS });
  // The order went to this account, not to the default one.
  expect(await defaultXrp()).toEqual(defaultBefore);

  await page.goto(`/accounts/${EXIT_ACCOUNT}`);
  const view = await (await page.request.get(`/api/v1/accounts/${EXIT_ACCOUNT}`)).json();
  const position = view.positions[0] as { liquidationPrice: number | null; entryPrice: number; margin: number };
  expect(position.liquidationPrice).not.toBeNull();
  // The venue margined it at the 3x the preview showed.
  expect(position.margin).toBeCloseTo((25 * price) / 3, 6);
  const row = page.getByTestId('position-row').filter({ hasText: XRP.symbol });
  await expect(row.getByTestId('position-amount')).toHaveText('25');
  await expect(row.getByTestId('liquidation-price')).toHaveText(fmtPrice(position.liquidationPrice));
  await expect(page.getByTestId('open-order-row')).toHaveCount(1);
  // The chart of this account draws its protective stop; every account's view draws none (the stop is this account's).
  const xrpStream = encodeURIComponent(`binance|${XRP.symbol}|${XRP.timeframe}`);
  await page.goto(`/chart?stream=${xrpStream}&account=${EXIT_ACCOUNT}`);
  await expect(page.getByTestId('chart-summary')).toContainText(`account ${EXIT_ACCOUNT}: 0 trades · 0 vetoed/denied signals · 1 working stops`, { timeout: ACTION_MS });
  await page.goto(`/chart?stream=${xrpStream}&source=live`);
  await expect(page.getByTestId('chart-summary')).toContainText(/every account: \d+ trades · \d+ vetoed\/denied signals · 0 working stops/, { timeout: ACTION_MS });
  await page.goto(`/accounts/${EXIT_ACCOUNT}`);

  const exit = row.getByTestId('force-exit-form');
  await exit.getByLabel(/^Amount/).fill('40');
  await exit.getByRole('button', { name: `Force exit ${XRP.symbol}` }).click();
  await expect(exit.getByTestId('error-amount')).toContainText(`the position on ${XRP.symbol} is 25; close at most that`);

  await exit.getByLabel(/^Amount/).fill('10');
  await exit.getByRole('button', { name: `Force exit ${XRP.symbol}` }).click();
  await expect(page.getByTestId('position-row').filter({ hasText: XRP.symbol }).getByTestId('position-amount')).toHaveText(fmtAmount(15));

  await page.getByTestId('position-row').filter({ hasText: XRP.symbol }).getByRole('button', { name: `Force exit ${XRP.symbol}` }).click();
  await expect(page.getByTestId('positions-empty')).toBeVisible();
  // The whole close also cancelled the protective stop.
  await expect(page.getByTestId('open-orders-empty')).toBeVisible();
  expect((await (await page.request.get(`/api/v1/accounts/${EXIT_ACCOUNT}`)).json()).positions).toEqual([]);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await expect(page.getByTestId('account-figures')).toBeVisible();
  await expectNoSeriousAxeViolations(page);
});

test('the global halt reaches every account and is cleared with a reason', async ({ page }) => {
  await signIn(page, 'trader', '/accounts');
  await page.goto('/accounts');
  const haltAll = page.getByTestId('halt-all-form');
  await haltAll.getByLabel(/^Reason/).fill('e2e kill switch');
  await haltAll.getByRole('button', { name: 'Halt all accounts' }).click();
  await expect(page.getByTestId('global-halt-state')).toContainText('e2e kill switch');
  for (const id of ['default', ACCOUNT, EXIT_ACCOUNT]) {
    await expect(page.locator(`[data-account-id="${id}"]`).getByTestId('halt-reason')).toHaveText('manual: global: e2e kill switch');
  }
  await page.goto('/');
  await expect(page.getByTestId('global-halt-state')).toContainText('e2e kill switch');
  const resumeAll = page.getByTestId('resume-all-form');
  await resumeAll.getByLabel(/^Reason/).fill('e2e all clear');
  await resumeAll.getByRole('button', { name: 'Resume all accounts' }).click();
  await expect(page.getByTestId('global-halt-state')).toContainText('no global halt');
  await page.goto('/accounts');
  await expect(page.getByTestId('risk-halted')).toHaveCount(0);
});

test('an admin links a venue account: refused naming the venue until its keys are stored and live trading is enabled, then read from the venue', async ({ page }) => {
  await signIn(page, 'admin', '/accounts');
  await page.goto('/accounts');
  const link = page.getByTestId('link-venue-form');
  await link.getByLabel(/^Id/).fill('e2e-usdm');
  await link.getByLabel(/^Name/).fill('E2E USD-M keys');
  await link.getByLabel(/^Venue/).selectOption('binanceusdm');
  await link.getByRole('button', { name: 'Link venue account' }).click();
  await expect(link.getByTestId('error-venue')).toContainText('live trading on "binanceusdm" is not enabled; an admin enables it on the credentials page');

  // Store the keys and enable live trading (the loopback Binance of global setup answers for the venue).
  await page.goto('/admin/credentials');
  const credentials = page.getByTestId('credential-form');
  await credentials.getByLabel('Exchange', { exact: true }).selectOption('binanceusdm');
  await credentials.getByLabel('API key').fill('e2e-usdm-key-ABCD');
  await credentials.getByLabel('Secret', { exact: true }).fill('e2e-usdm-secret-value');
  await credentials.getByRole('button', { name: 'Save' }).click();
  await page.reload();
  await page.getByRole('button', { name: 'Enable binanceusdm' }).click();
  await expect(page.getByTestId('live-trading-binanceusdm')).toHaveText('enabled', { timeout: ACTION_MS });

  await page.goto('/accounts');
  const again = page.getByTestId('link-venue-form');
  await again.getByLabel(/^Id/).fill('e2e-usdm');
  await again.getByLabel(/^Name/).fill('E2E USD-M keys');
  await again.getByLabel(/^Venue/).selectOption('binanceusdm');
  await again.getByLabel(/^Leverage/).fill('2');
  await again.getByRole('button', { name: 'Link venue account' }).click();
  // The venue wallet (10,000 USDT on the loopback Binance) becomes the initial balance.
  await expect(again.getByTestId('result-id')).toHaveText('e2e-usdm', { timeout: ACTION_MS });
  await page.reload();
  const row = page.locator('[data-testid="account-row"][data-account-id="e2e-usdm"]');
  await expect(row).toContainText('venue binanceusdm');
  await expect(row.getByTestId('account-equity')).toHaveText('10,000.00 USDT');

  await page.goto('/accounts/e2e-usdm');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('E2E USD-M keys');
  await expect(page.locator('main')).toContainText('Venue account on binanceusdm');
  await expect(page.getByTestId('account-initial')).toHaveText('10,000.00');
  await expect(page.getByTestId('positions-empty')).toBeVisible();
  await expectNoSeriousAxeViolations(page);
});

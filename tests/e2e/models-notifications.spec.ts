/**
 * Jobs and models from the UI (production build). A trader queues training of the volatility model
 * on the synthetic ETH/USDT candles from the Models page and follows its ticket to the end: the new
 * version's validation metrics, or a readable failure; bad params are refused naming the field. An
 * admin saves a notification channel whose webhook URL comes back masked and sends it a test message,
 * which a loopback receiver started here (on a port the OS picks) records.
 *
 * Data: the synthetic ETH/USDT 5m candles imported by global setup (tests/e2e/synthetic-candles.ts).
 */
import { expect, test, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { startFakeHttpService, type FakeHttpService } from '../support/fake-http-service';
import { signIn } from './sign-in';
import { SYNTHETIC_FROM, SYNTHETIC_MARKET, SYNTHETIC_TO } from './synthetic-candles';

test.describe.configure({ mode: 'serial' });

async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`);
}
test.setTimeout(180_000);

test('a trader queues training from the Models page and sees its ticket end with metrics or a readable failure', async ({ page }) => {
  await signIn(page, 'trader', '/models');
  const form = page.getByTestId('train-form');
  await expect(form).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  // The page names only commands the CLI has.
  const command = page.getByTestId('train-command');
  if ((await command.count()) > 0) await expect(command).toContainText('npm run cli -- enqueue --kind train-intent-veto');

  await form.getByRole('combobox', { name: 'Model' }).selectOption('train-volatility');
  await form.getByRole('textbox', { name: /^Exchange/ }).fill(SYNTHETIC_MARKET.exchange);
  await form.getByRole('textbox', { name: /^Symbol/ }).fill(SYNTHETIC_MARKET.symbol);
  await form.getByRole('textbox', { name: /^Timeframe/ }).fill(SYNTHETIC_MARKET.timeframe);
  await form.getByRole('textbox', { name: /^From/ }).fill(SYNTHETIC_FROM);
  await form.getByRole('textbox', { name: /^To/ }).fill(SYNTHETIC_TO);
  await form.getByRole('textbox', { name: /^Walk-forward folds/ }).fill('3');
  await form.getByRole('textbox', { name: /^Horizon/ }).fill('1');
  await form.getByRole('button', { name: 'Queue training' }).click();
  // A bad value is refused next to its field, naming it and the value; nothing is queued.
  await expect(form.getByTestId('error-horizon')).toContainText('field "horizon" was 1');
  await expect(page.getByTestId('training-ticket')).toHaveCount(0);

  await form.getByRole('textbox', { name: /^Horizon/ }).fill('12');
  await form.getByRole('button', { name: 'Queue training' }).click();
  const ticket = page.getByTestId('training-ticket');
  await expect(ticket).toBeVisible({ timeout: 30_000 });
  const status = ticket.getByTestId('training-status');
  await expect(status).toHaveText(/^(succeeded|failed|cancelled)$/, { timeout: 150_000 });
  // Ten days of five-minute candles are enough for three folds: the ticket succeeds with metrics.
  const ended = await status.textContent();
  if (ended !== 'succeeded') throw new Error(`training ended ${ended}: ${await ticket.getByTestId('training-error').textContent({ timeout: 1_000 }).catch(() => '(no error shown)')}`);
  await expect(ticket.getByTestId('training-version')).toContainText(/Trained version v\d+ on \d+ rows/);
  await expect(ticket.getByTestId('training-metrics')).toContainText('mae');
  // The version is listed with its metrics after a reload.
  await page.goto('/models');
  await expect(page.getByRole('heading', { name: /^volatility/ })).toBeVisible();
  // The Jobs page lists the same ticket.
  await page.goto('/jobs');
  await expect(page.getByTestId('tickets')).toContainText('train-volatility');
});

test.describe('notifications', () => {
  let receiver: FakeHttpService | null = null;
  test.afterAll(async () => {
    await receiver?.close();
  });

  test('an admin saves a channel whose secret comes back masked and sends it a test message', async ({ page }) => {
    receiver = await startFakeHttpService({ status: 200, body: 'ok' });
    const id = `e2e-${Date.now().toString(36)}`;
    const secretPath = '/services/T000/B000/e2e-token-WXYZ';
    await signIn(page, 'admin', '/admin/notifications');
    const form = page.getByTestId('channel-form');
    await form.getByRole('textbox', { name: /^Channel id/ }).fill(id);
    await form.getByRole('combobox', { name: 'Kind' }).selectOption('slack');
    await form.getByLabel(/^Incoming-webhook URL/).fill(`${receiver.origin}${secretPath}`);
    await form.getByRole('button', { name: 'Save channel' }).click();

    const details = page.getByTestId(`channel-details-${id}`);
    await expect(details).toHaveText(`${receiver.origin}/****WXYZ`);
    // The secret never comes back to the browser, not even in the page source after a reload.
    await page.reload();
    expect(await page.content()).not.toContain('e2e-token');

    // Route halts to the channel.
    const routing = page.getByTestId('routing-form');
    await routing.getByLabel(`Send "Trading halted" to ${id}`).check();
    await routing.getByRole('button', { name: 'Save routing' }).click();
    await expect(routing.getByTestId('action-done')).toHaveText('Routing saved.');
    await page.reload();
    await expect(page.getByTestId('routing-form').getByLabel(`Send "Trading halted" to ${id}`)).toBeChecked();

    await page.getByRole('button', { name: `Send test message to ${id}` }).click();
    await expect(page.getByTestId(`test-result-${id}`)).toHaveText(`Delivered to ${id}.`);
    expect(receiver.requests.map((r) => [r.method, r.path])).toEqual([['POST', secretPath]]);
    expect(JSON.parse(receiver.requests[0].body).text).toContain('test message from the notifications page');

    // A receiver that refuses: the page shows the channel's error.
    receiver.script({ status: 500, body: 'down' });
    await page.getByRole('button', { name: `Send test message to ${id}` }).click();
    await expect(page.getByTestId(`test-result-${id}`)).toContainText(/Not delivered: .*500/);
    expect(await seriousViolations(page)).toEqual([]);
  });
});

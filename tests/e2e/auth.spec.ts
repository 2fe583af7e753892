import { createHmac, randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { signIn } from './sign-in';
import { E2E_PASSWORD, E2E_PASSWORD_CHANGER } from './e2e-env';

test('an anonymous visitor is sent to the login page and the setup page is gone once an admin exists', async ({ page, request }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login\?next=%2F$/);
  expect((await request.get('/setup')).status()).toBe(404);
  expect((await request.get('/api/me')).status()).toBe(401);
});

test('a wrong password is refused with a message and no session', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('E-mail').fill('viewer@e2e.test');
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('login-error')).toContainText('Invalid email or password');
  await page.goto('/');
  await expect(page).toHaveURL(/\/login/);
});

test('before its script runs the sign-in form submits nothing, and it never sends the password in a URL', async ({ browser }) => {
  // A page whose script has not run (here: never runs) is what a slow connection shows for a moment.
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/login');
  await expect(page.getByTestId('login-form')).toHaveAttribute('method', 'post');
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeDisabled();
  await page.getByLabel('E-mail').fill('viewer@e2e.test');
  await page.getByLabel('Password').fill('not-the-password');
  // Enter in a field is an implicit submit, which a disabled default button blocks.
  await page.getByLabel('Password').press('Enter');
  await page.waitForLoadState('load');
  expect(new URL(page.url()).pathname).toBe('/login');
  expect(page.url()).not.toContain('not-the-password');
  await context.close();
});

test('a form with client state takes no input before its script runs, and all of it after', async ({ page, browser }) => {
  await signIn(page, 'trader', '/backtests');
  const hydrated = page.getByTestId('backtest-form');
  await expect(hydrated.getByLabel('Exchange', { exact: true })).toBeEnabled();
  await expect(hydrated.getByTestId('run-backtest')).toBeEnabled();
  // The same page as it stands before hydration: the server's HTML alone.
  const context = await browser.newContext({ javaScriptEnabled: false });
  await context.addCookies(await page.context().cookies());
  const bare = await context.newPage();
  await bare.goto('/backtests');
  const form = bare.getByTestId('backtest-form');
  await expect(form.getByLabel('Exchange', { exact: true })).toBeDisabled();
  await expect(form.getByTestId('run-backtest')).toBeDisabled();
  await context.close();
});

for (const role of ['viewer', 'trader'] as const) {
  test(`a ${role} sees the engine and their tokens page but gets 403 on admin pages`, async ({ page }) => {
    await signIn(page, role);
    await expect(page.getByTestId('engine-state')).toHaveText('running');
    await expect(page.getByRole('link', { name: 'Users' })).toHaveCount(0);
    for (const path of ['/admin/users', '/admin/audit', '/admin/webhooks', '/admin/credentials']) {
      await page.goto(path);
      await expect(page.getByTestId('forbidden')).toContainText(`role ${role}`);
    }
    await page.goto('/admin/tokens');
    await expect(page.getByRole('heading', { name: 'API tokens' })).toBeVisible();
  });
}

test('a viewer creates an API token shown once and uses it as a Bearer token', async ({ page, request }) => {
  await signIn(page, 'viewer');
  await page.goto('/admin/tokens');
  const form = page.getByTestId('token-form');
  await form.getByLabel('Name').fill('e2e script');
  await form.getByRole('button', { name: 'Create token' }).click();
  const token = (await form.getByTestId('result-token').textContent()) ?? '';
  expect(token).toMatch(/^aeth_/);
  const me = await request.get('/api/me', { headers: { authorization: `Bearer ${token}` } });
  expect(me.status()).toBe(200);
  expect(await me.json()).toMatchObject({ email: 'viewer@e2e.test', role: 'viewer', via: 'token' });
  await page.reload();
  await expect(page.getByTestId('token-row').filter({ hasText: 'e2e script' })).toHaveCount(1);
  await expect(page.locator('body')).not.toContainText(token);
});

test('an admin invites a user, stores credentials write-only, receives a signed webhook and sees it all audited', async ({ page, browser, request }) => {
  await signIn(page, 'admin');
  await expect(page.getByRole('link', { name: 'Users' })).toBeVisible();

  await page.goto('/admin/users');
  const invite = page.getByTestId('invite-form');
  const invitedEmail = `invited-${Date.now()}@e2e.test`;
  await invite.getByLabel('E-mail').fill(invitedEmail);
  await invite.getByLabel('Role').selectOption('trader');
  await invite.getByRole('button', { name: 'Invite' }).click();
  const temporaryPassword = (await invite.getByTestId('result-temporaryPassword').textContent()) ?? '';
  expect(temporaryPassword.length).toBeGreaterThanOrEqual(12);
  const invitedContext = await browser.newContext();
  const invitedPage = await invitedContext.newPage();
  await invitedPage.goto('/login');
  await invitedPage.getByLabel('E-mail').fill(invitedEmail);
  await invitedPage.getByLabel('Password').fill(temporaryPassword);
  await invitedPage.getByRole('button', { name: 'Sign in' }).click();
  await expect(invitedPage.getByTestId('current-role')).toHaveText('trader');
  await invitedContext.close();

  await page.goto('/admin/credentials');
  const credentials = page.getByTestId('credential-form');
  await credentials.getByLabel('Exchange', { exact: true }).selectOption('binance');
  await credentials.getByLabel('API key').fill('e2e-key-id-WXYZ');
  await credentials.getByLabel('Secret', { exact: true }).fill('e2e-exchange-secret-value');
  await credentials.getByRole('button', { name: 'Save' }).click();
  await page.reload();
  // (Other specs may have stored keys for other venues: read binance's row.)
  const binanceRow = page.getByTestId('credential-row').filter({ has: page.getByRole('cell', { name: 'binance', exact: true }) });
  await expect(binanceRow.getByTestId('credential-summary')).toContainText('key …WXYZ');
  await expect(page.locator('body')).not.toContainText('e2e-exchange-secret-value');
  await expect(page.locator('body')).not.toContainText('e2e-key-id');

  await page.goto('/admin/webhooks');
  const webhookForm = page.getByTestId('webhook-form');
  await webhookForm.getByLabel('Name').fill('tradingview');
  await webhookForm.getByRole('button', { name: 'Create webhook' }).click();
  const url = (await webhookForm.getByTestId('result-url').textContent()) ?? '';
  const secret = (await webhookForm.getByTestId('result-secret').textContent()) ?? '';
  const deliver = (payload: Record<string, unknown>, deliveryId: string) => {
    const body = JSON.stringify(payload);
    const timestamp = String(Math.floor(Date.now() / 1000));
    return request.post(url, {
      headers: {
        'content-type': 'application/json',
        'x-aethelred-timestamp': timestamp,
        'x-aethelred-delivery': deliveryId,
        'x-aethelred-signature': `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`,
      },
      data: body,
    });
  };
  const deliveryId = randomUUID();
  const response = await deliver({ symbol: 'BTC/USDT', side: 'buy', strategy: 'e2e' }, deliveryId);
  expect(response.status()).toBe(202);
  await page.reload();
  await expect(page.getByTestId('delivery-row').filter({ hasText: deliveryId })).toContainText('accepted');
  // An alert is its account's: naming none, it is the default account's decision; naming an account that does not exist,
  // it is denied, and the delivery's row says why.
  const { ticketId } = (await response.json()) as { ticketId: string };
  const defaults = (await (await page.request.get('/api/decisions?account=default&limit=1000')).json()) as { items: { id: string; accountId?: string }[] };
  expect(defaults.items.find((d) => d.id === ticketId)).toMatchObject({ accountId: 'default' });
  const ghostDelivery = randomUUID();
  const ghost = await deliver({ symbol: 'BTC/USDT', side: 'buy', strategy: 'e2e', account: 'ghost-desk' }, ghostDelivery);
  expect(ghost.status()).toBe(202);
  const denial = 'account "ghost-desk" does not exist: name an account listed on /accounts (or none, for "default")';
  expect(await ghost.json()).toMatchObject({ outcome: 'denied', reason: denial });
  await page.reload();
  await expect(page.getByTestId('delivery-row').filter({ hasText: ghostDelivery })).toContainText(denial);

  await page.goto('/admin/audit');
  for (const action of ['user.invite', 'credential.set', 'webhook.create']) {
    await expect(page.getByTestId('audit-action').filter({ hasText: action }).first()).toBeVisible();
  }
  await page.screenshot({ path: 'test-results/screenshots/audit.png', fullPage: true });
});

test('signing out ends the session', async ({ page }) => {
  await signIn(page, 'trader');
  await page.getByTestId('sign-out').click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto('/');
  await expect(page).toHaveURL(/\/login/);
});

test('a user changes their own password: a wrong current one is refused, then only the new one signs in', async ({ page }) => {
  const login = async (password: string) => {
    await page.goto('/login');
    await page.getByLabel('E-mail').fill(E2E_PASSWORD_CHANGER);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };
  const newPassword = 'a-brand-new-password-42';
  await login(E2E_PASSWORD);
  await expect(page.getByTestId('current-role')).toHaveText('viewer');
  await page.goto('/admin/tokens');
  const form = page.getByTestId('change-password-form');
  await form.getByLabel('Current password').fill('not-my-password');
  await form.getByLabel('New password', { exact: true }).fill(newPassword);
  await form.getByLabel('Repeat new password').fill(newPassword);
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByTestId('change-password-error')).toHaveText('The current password is wrong.');

  await form.getByLabel('Current password').fill(E2E_PASSWORD);
  await form.getByLabel('New password', { exact: true }).fill(newPassword);
  await form.getByLabel('Repeat new password').fill('something-else-entirely');
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByTestId('change-password-error')).toHaveText('The two new passwords differ; type the same one twice.');

  await form.getByLabel('Repeat new password').fill(newPassword);
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByTestId('change-password-result')).toContainText('Password changed');

  await page.getByTestId('sign-out').click();
  await expect(page).toHaveURL(/\/login/);
  await login(E2E_PASSWORD);
  await expect(page.getByTestId('login-error')).toContainText('Invalid email or password');
  await login(newPassword);
  await expect(page.getByTestId('current-role')).toHaveText('viewer');
});

/**
 * First run and first sign-in, on the production build: the setup page (on a server of its own with
 * an empty database) signs the new admin in and opens the overview with its next steps; an invited
 * user must change the temporary password before anything else; "not found" and "not allowed"
 * answer 404 and 403; at 390 px the navigation folds into a menu.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { E2E_AUTH_SECRET, E2E_ENCRYPTION_KEY } from './e2e-env';
import { signIn } from './sign-in';
import { freePort } from '../support/free-port';

/** The production server (server.mjs) on an empty embedded database of its own, on a free port. */
async function startFreshServer(): Promise<{ baseURL: string; stop(): Promise<void> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'aethelred-first-run-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  const child: ChildProcess = spawn(process.execPath, ['server.mjs', '--port', String(port), '--hostname', '127.0.0.1'], {
    env: { ...env, AETHELRED_DATA_DIR: dataDir, LOG_LEVEL: 'warn', AETHELRED_AUTH_SECRET: E2E_AUTH_SECRET, AETHELRED_ENCRYPTION_KEY: E2E_ENCRYPTION_KEY, NEXT_MANUAL_SIG_HANDLE: 'true' },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const baseURL = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const healthy = await fetch(`${baseURL}/api/health`).then((r) => r.ok, () => false);
    if (healthy) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the fresh server did not become healthy within 60 s\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    baseURL,
    async stop() {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

test('the setup page creates the first admin, signs them in and lands on the overview with the next steps', async ({ browser }) => {
  test.setTimeout(120_000);
  const server = await startFreshServer();
  const context = await browser.newContext({ baseURL: server.baseURL });
  try {
    const page = await context.newPage();
    await page.goto('/');
    await expect(page).toHaveURL(/\/setup$/);
    const form = page.getByTestId('setup-form');
    await form.getByLabel('E-mail').fill('owner@first-run.test');
    await form.getByLabel('Name').fill('Owner');
    await form.getByLabel('Password').fill('owner-password-123');
    await form.getByRole('button', { name: 'Create admin and sign in' }).click();
    await expect(page).toHaveURL(/\/\?welcome=1$/);
    await expect(page.getByTestId('current-role')).toHaveText('admin');
    const steps = page.getByTestId('next-steps');
    await expect(steps).toBeVisible();
    await expect(steps.getByRole('link', { name: 'Backtests' })).toHaveAttribute('href', '/backtests');
    await expect(steps.getByRole('link', { name: 'Live sessions' })).toHaveAttribute('href', /^\/live/);
    await expect(steps.getByTestId('next-step-import')).toContainText('import-candles');
    await page.screenshot({ path: 'test-results/screenshots/first-run-overview.png', fullPage: true });
    // Setup is gone now, and the audit log names the admin who did it.
    expect((await page.request.get('/setup')).status()).toBe(404);
    await page.goto('/admin/audit?action=user.setup_admin');
    await expect(page.getByTestId('audit-actor').first()).toContainText('owner@first-run.test');
    await expect(page.getByTestId('audit-actor').first()).not.toContainText('webhook');
  } finally {
    await context.close();
    await server.stop();
  }
});

test('an invited user must change the temporary password before anything else', async ({ page, browser }) => {
  await signIn(page, 'admin');
  await page.goto('/admin/users');
  const invite = page.getByTestId('invite-form');
  const email = `first-sign-in-${Date.now()}@e2e.test`;
  await invite.getByLabel('E-mail').fill(email);
  await invite.getByLabel('Role').selectOption('viewer');
  await invite.getByRole('button', { name: 'Invite' }).click();
  const box = invite.getByTestId('result-temporaryPassword-box');
  await expect(box).toContainText('Temporary password');
  await expect(box.getByRole('button', { name: 'Copy temporary password' })).toBeVisible();
  const temporaryPassword = (await invite.getByTestId('result-temporaryPassword').textContent()) ?? '';
  expect(temporaryPassword.length).toBeGreaterThanOrEqual(12);
  await expect(invite).not.toContainText('temporaryPassword');
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await box.getByRole('button', { name: 'Copy temporary password' }).click();
  await expect(box.getByRole('status')).toHaveText('Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(temporaryPassword);

  // The audit log names the admin and folds the long "after" value instead of widening the page.
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`/admin/audit?action=user.invite`);
  const row = page.getByTestId('audit-row').first();
  await expect(row.getByTestId('audit-actor')).toContainText('admin@e2e.test (signed in)');
  await row.locator('details summary').first().click();
  await expect(row.locator('details pre').first()).toContainText('"mustChangePassword": true');
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);

  const context = await browser.newContext();
  try {
    const invited = await context.newPage();
    await invited.goto('/login');
    await invited.getByLabel('E-mail').fill(email);
    await invited.getByLabel('Password').fill(temporaryPassword);
    await invited.getByRole('button', { name: 'Sign in' }).click();
    await expect(invited).toHaveURL(/\/change-password/);
    await expect(invited.getByTestId('forced-password-change')).toBeVisible();
    // Every page sends the session back here; the API answers 403 saying what to do.
    await invited.goto('/journal');
    await expect(invited).toHaveURL(/\/change-password/);
    // With an HTTP 307 before anything renders, pages that stream a loading state (strategies, compare) included.
    for (const [path, location] of [
      ['/strategies', '/change-password?next=%2Fstrategies'],
      ['/jobs', '/change-password?next=%2Fjobs'],
      ['/markets?tab=x', '/change-password?next=%2Fmarkets%3Ftab%3Dx'],
      ['/admin/tokens', '/change-password?next=%2Fadmin%2Ftokens'],
    ]) {
      const response = await invited.request.get(path, { maxRedirects: 0 });
      expect(response.status(), path).toBe(307);
      expect(response.headers().location, path).toBe(location);
    }
    const me = await invited.request.get('/api/me');
    expect(me.status()).toBe(403);
    expect((await me.json()).error.message).toContain('/change-password');

    const form = invited.getByTestId('change-password-form');
    await form.getByLabel('Current password').fill(temporaryPassword);
    await form.getByLabel('New password', { exact: true }).fill('my-own-password-42');
    await form.getByLabel('Repeat new password').fill('my-own-password-42');
    await form.getByRole('button', { name: 'Change password' }).click();
    await expect(invited).toHaveURL(/\/journal$/);
    await expect(invited.getByTestId('current-role')).toHaveText('viewer');
    expect((await invited.request.get('/api/me')).status()).toBe(200);
  } finally {
    await context.close();
  }
});

test('"not found" answers 404 and "not allowed" 403 to a plain request', async ({ page }) => {
  await signIn(page, 'viewer');
  const status = async (path: string) => (await page.request.get(path, { maxRedirects: 0 })).status();
  expect(await status('/no-such-page')).toBe(404);
  expect(await status('/backtests/no-such-run')).toBe(404);
  expect(await status('/accounts/no-such-account')).toBe(404);
  expect(await status('/setup')).toBe(404);
  for (const path of ['/admin/users', '/admin/audit', '/admin/webhooks', '/admin/credentials']) expect(await status(path), path).toBe(403);
  await page.goto('/no-such-page');
  await expect(page.getByTestId('not-found')).toContainText('404');
  // Static assets from public/.
  const icon = await page.request.get('/favicon.ico');
  expect(icon.status()).toBe(200);
  expect(icon.headers()['content-type']).toMatch(/icon/);
  expect((await page.request.get('/favicon.svg')).status()).toBe(200);
});

test('at 390 px the navigation folds into a menu button that opens and closes from the keyboard', async ({ page }) => {
  await signIn(page, 'admin');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/');
  const button = page.getByRole('button', { name: 'Menu' });
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(button).toHaveAttribute('aria-expanded', 'false');
  await expect(nav).toBeHidden();
  // The header is a slim bar, not a third of the screen.
  const header = await page.locator('header.topbar').boundingBox();
  expect(header!.height).toBeLessThan(80);

  await button.focus();
  await page.keyboard.press('Enter');
  await expect(button).toHaveAttribute('aria-expanded', 'true');
  await expect(nav.getByRole('link', { name: 'Backtests' })).toBeVisible();
  await expect(page.getByTestId('current-role')).toBeVisible();
  // The header with its open menu (the overview's wide tables below are another matter).
  const results = await new AxeBuilder({ page }).include('header.topbar').withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
  await page.screenshot({ path: 'test-results/screenshots/menu-390.png', fullPage: true });

  await nav.getByRole('link', { name: 'Backtests' }).focus();
  await page.keyboard.press('Escape');
  await expect(button).toHaveAttribute('aria-expanded', 'false');
  await expect(button).toBeFocused();
  await page.keyboard.press('Enter');
  await nav.getByRole('link', { name: 'Backtests' }).click();
  await expect(page).toHaveURL(/\/backtests$/);
  await expect(button).toHaveAttribute('aria-expanded', 'false');

  // At 1280 px the links sit in the bar and there is no menu button.
  await page.setViewportSize({ width: 1280, height: 900 });
  await expect(button).toBeHidden();
  await expect(nav.getByRole('link', { name: 'Chart' })).toBeVisible();
});

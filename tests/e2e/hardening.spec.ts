/**
 * Security headers, HTTP statuses of pages and the post-sign-in redirect, against the production build.
 */
import { expect, test, type Page } from '@playwright/test';
import { signIn } from './sign-in';
import { E2E_PASSWORD, E2E_USERS } from './e2e-env';
import { driftPagePath, E2E_DRIFT_SESSION } from './live-sessions-fixture';

const PAGES = [
  '/',
  '/chart',
  '/journal',
  '/journal/decisions',
  '/backtests',
  '/strategies',
  '/what-if',
  '/live',
  driftPagePath(E2E_DRIFT_SESSION.id),
  '/jobs',
  '/models',
  '/admin/users',
  '/admin/tokens',
  '/admin/audit',
  '/admin/webhooks',
  '/admin/credentials',
];

/** Collects CSP violations (the DOM event and the console message) from the moment the page starts. */
async function watchCsp(page: Page): Promise<string[]> {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to (execute|load|apply|connect)/i.test(message.text())) violations.push(`console: ${message.text()}`);
  });
  await page.exposeFunction('__reportCsp', (text: string) => violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      (window as unknown as { __reportCsp(text: string): void }).__reportCsp(`${event.violatedDirective} blocked ${event.blockedURI} (${event.sourceFile}:${event.lineNumber})`);
    });
  });
  return violations;
}

test('every page carries the CSP with a nonce, frame-ancestors none and X-Frame-Options DENY, no X-Powered-By, and runs without CSP violations', async ({ page }) => {
  test.setTimeout(180_000);
  const violations = await watchCsp(page);
  await signIn(page, 'admin');
  const nonces = new Set<string>();
  for (const path of PAGES) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(200);
    const headers = response!.headers();
    expect(headers['x-powered-by'], path).toBeUndefined();
    expect(headers['x-frame-options'], path).toBe('DENY');
    expect(headers['x-content-type-options'], path).toBe('nosniff');
    const csp = headers['content-security-policy'];
    expect(csp, path).toContain("frame-ancestors 'none'");
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce, path).toBeTruthy();
    nonces.add(nonce!);
    // Hydrated: the client-side nav reacts (React attached its handlers despite the CSP).
    await expect(page.locator('#main')).toBeVisible();
    await page.waitForLoadState('networkidle');
  }
  expect(nonces.size, 'a fresh nonce per response').toBe(PAGES.length);
  expect(violations).toEqual([]);
});

test('anonymous page requests answer 307 to /login, pages with a loading state included', async ({ request }) => {
  for (const path of ['/', '/journal', '/journal/decisions', '/backtests', '/backtests/compare', '/chart', '/live', '/jobs', '/models', '/strategies', '/what-if', '/journal/trades/x', '/admin/users']) {
    const response = await request.get(path, { maxRedirects: 0 });
    expect(response.status(), path).toBe(307);
    expect(response.headers()['location'], path).toBe(`/login?next=${encodeURIComponent(path)}`);
  }
  expect((await request.get('/login', { maxRedirects: 0 })).status()).toBe(200);
  expect((await request.get('/api/health', { maxRedirects: 0 })).status()).toBe(200);
});

test('a page the role does not reach answers 403; unknown ids answer 404 naming the id', async ({ page }) => {
  await signIn(page, 'viewer');
  const forbidden = await page.goto('/admin/users');
  expect(forbidden?.status()).toBe(403);
  await expect(page.getByTestId('forbidden')).toContainText('role viewer');
  const trade = await page.goto('/journal/trades/no-such-trade');
  expect(trade?.status()).toBe(404);
  await expect(page.getByTestId('empty-state')).toContainText('No trade has id no-such-trade');
  const run = await page.goto('/backtests/no-such-run');
  expect(run?.status()).toBe(404);
  await expect(page.getByTestId('empty-state')).toContainText('No backtest run has id no-such-run');
  const session = await page.goto(driftPagePath('live:binance:NOPE/USDT:5m'));
  expect(session?.status()).toBe(404);
  await expect(page.getByTestId('empty-state')).toContainText('No live session has id live:binance:NOPE/USDT:5m');
});

for (const next of ['/%5Cevil.example/phish', '/%09/evil.example']) {
  test(`signing in with next=${next} stays on this origin`, async ({ page, baseURL }) => {
    await page.goto(`/login?next=${next}`);
    await page.getByLabel('E-mail').fill(E2E_USERS.trader);
    await page.getByLabel('Password').fill(E2E_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('current-role')).toHaveText('trader');
    expect(new URL(page.url()).origin).toBe(new URL(baseURL!).origin);
    expect(new URL(page.url()).pathname).toBe('/');
  });
}

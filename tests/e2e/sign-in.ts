import { expect, type Cookie, type Page } from '@playwright/test';
import { E2E_PASSWORD, E2E_USERS } from './e2e-env';

/**
 * Session cookies per role, reused across tests in this worker: signing in through the form for
 * every test would trip the server's sign-in rate limit (20 a minute per address), as it should.
 */
const sessions = new Map<string, Cookie[]>();

/** Signs in as the e2e user of `role` (reusing a live session when there is one) and opens `next`. */
export async function signIn(page: Page, role: keyof typeof E2E_USERS, next = '/'): Promise<void> {
  const cached = sessions.get(role);
  if (cached) {
    await page.context().addCookies(cached);
    await page.goto(next);
    // A test may have signed this user out: then the server sends us to the login page.
    const current = page.getByTestId('current-role');
    await current.or(page.getByTestId('login-form')).first().waitFor();
    if ((await current.count()) > 0 && (await current.textContent()) === role) return;
    await page.context().clearCookies();
    sessions.delete(role);
  }
  // Another user's session in this context would send /login straight on to `next` as that user.
  await page.context().clearCookies();
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('E-mail').fill(E2E_USERS[role]);
  await page.getByLabel('Password').fill(E2E_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('current-role')).toHaveText(role);
  sessions.set(role, await page.context().cookies());
}

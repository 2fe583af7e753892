import { expect, type Page } from '@playwright/test';
import { E2E_PASSWORD, E2E_USERS } from './e2e-env';

/** Signs in through the login form as the e2e user of `role` and waits for the home page. */
export async function signIn(page: Page, role: keyof typeof E2E_USERS, next = '/'): Promise<void> {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('E-mail').fill(E2E_USERS[role]);
  await page.getByLabel('Password').fill(E2E_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('current-role')).toHaveText(role);
}

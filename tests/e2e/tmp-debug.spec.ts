import { test } from '@playwright/test';
import { signIn } from './sign-in';
test('debug', async ({ page }) => {
  await signIn(page, 'admin');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/live');
  await page.waitForLoadState('load');
  await page.waitForTimeout(1500);
  const out = await page.evaluate(() =>
    [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .slice(0, 12)
      .map((el) => `${el.tagName.toLowerCase()}.${(el.className || '').toString()} ${getComputedStyle(el).overflowX} (${Math.round(el.getBoundingClientRect().width)} px) ${el.getAttribute('data-testid') ?? ''}`),
  );
  console.log(out.join('\n'));
  console.log(await page.evaluate(() => { const t = document.querySelector('[data-testid="live-sessions"]')!; const r: string[] = []; for (let a = t.parentElement; a; a = a.parentElement) r.push(`${a.tagName}.${a.className} role=${a.getAttribute('role')} ox=${getComputedStyle(a).overflowX} w=${Math.round(a.getBoundingClientRect().width)}`); return r.join('\n'); }));
  console.log(await page.evaluate(() => document.documentElement.scrollWidth));
});

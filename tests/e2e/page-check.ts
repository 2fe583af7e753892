/** The per-page check e2e specs run on every page they visit (issue 14: every page at 1280 and 390 px, no serious axe violation). */
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

/**
 * Serious and critical axe violations on the page as it is now, one line each (rule, help, first nodes). First waits for
 * the document's title: after a client-side navigation Next streams the new page's metadata after its content, and a
 * scan in between reported "document-title" on a page that gets its title a moment later (seen once in CI on the rule
 * editor after Save).
 */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  await expect(page).toHaveTitle(/\S/);
  const axe = await new AxeBuilder({ page }).analyze();
  return axe.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')})`);
}

/**
 * Screenshot and axe scan at the current size, then at 390 px wide: no page-wide horizontal scroll (the
 * widest elements that stick out are named), a screenshot and an axe scan again; the size is restored.
 */
export async function checkPage(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: true });
  expect(await seriousAxeViolations(page), `axe violations on ${name}`).toEqual([]);
  const size = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  // Charts re-measure through ResizeObserver: let two frames pass before measuring.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  const culprits = await page.evaluate(() =>
    [...document.querySelectorAll('body *')]
      .filter((el) => {
        if (el.getBoundingClientRect().right <= document.documentElement.clientWidth + 1) return false;
        for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
          if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(a).overflowX)) return false;
        }
        return true;
      })
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${(el.className || '').toString().split(' ').join('.')} (${Math.round(el.getBoundingClientRect().width)} px)`),
  );
  expect(overflow, `${name} scrolls sideways at 390 px: ${culprits.join(', ')}`).toBeLessThanOrEqual(0);
  await page.screenshot({ path: `test-results/screenshots/${name}-390.png`, fullPage: true });
  expect(await seriousAxeViolations(page), `axe violations on ${name} at 390 px`).toEqual([]);
  if (size) await page.setViewportSize(size);
}

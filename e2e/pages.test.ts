import type { Browser, BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { seriousViolations, unfoldAll } from './support/axe';
import { artifactPath, chromiumAvailable } from './support/browser';
import { newUsername, signIn } from './support/forms';
import { useServerAndBrowser } from './support/server';

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

const shotName = (path: string) => (path === '/' ? 'home' : path.slice(1));

/**
 * Opens every page of the app in `context`, as a learner would reach them, and calls `visit` on each:
 * the demo pages with a session of its own and another browser's in the store, then the account pages
 * after signing up, with the other browser signed in as the same user (two rows on /sessions).
 */
async function eachPage(
  browser: Browser,
  context: BrowserContext,
  url: string,
  visit: (page: Page, path: string) => Promise<void>,
) {
  const other = await (await browser.newContext()).newPage();
  await other.goto(`${url}/increment`);
  const page = await context.newPage();
  for (const path of ['/', '/increment', '/store', '/clear', '/how-it-works', '/signup', '/login']) {
    await page.goto(`${url}${path}`);
    await visit(page, path);
  }
  const username = newUsername();
  await signIn(page, url, 'signup', username);
  await visit(page, '/profile');
  await signIn(other, url, 'login', username);
  for (const path of ['/sessions', '/password']) {
    await page.goto(`${url}${path}`);
    await visit(page, path);
  }
  await other.context().close();
}

describe.skipIf(!chromiumAvailable())('every page in a real browser', () => {
  const running = useServerAndBrowser();

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`passes axe-core with no serious or critical violation, the panel unfolded (${colorScheme} mode)`, async () => {
      const context = await running.browser.newContext({ colorScheme, viewport: DESKTOP });
      const found: string[] = [];

      await eachPage(running.browser, context, running.server.url, async (page, path) => {
        if (colorScheme === 'dark')
          await page.screenshot({ path: artifactPath(`page-${shotName(path)}-dark`) });
        await unfoldAll(page);
        for (const violation of await seriousViolations(page)) found.push(`${path}: ${violation}`);
      });

      expect(found).toEqual([]);
      await context.close();
    });
  }

  it('fits a 390 px phone: wide parts scroll inside their box, not the page, and still pass axe-core', async () => {
    const context = await running.browser.newContext({ viewport: DESKTOP });
    const wide: string[] = [];
    const found: string[] = [];

    await eachPage(running.browser, context, running.server.url, async (page, path) => {
      await page.screenshot({ path: artifactPath(`page-${shotName(path)}-desktop`), fullPage: true });
      await page.setViewportSize(PHONE);
      const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
      if (width > PHONE.width) wide.push(`${path}: ${width}px`);
      await page.screenshot({ path: artifactPath(`page-${shotName(path)}-phone`), fullPage: true });
      await unfoldAll(page);
      // a box that scrolls sideways must be reachable by keyboard
      for (const violation of await seriousViolations(page)) found.push(`${path}: ${violation}`);
      await page.setViewportSize(DESKTOP);
    });

    expect(wide).toEqual([]);
    expect(found).toEqual([]);
    await context.close();
  });
});

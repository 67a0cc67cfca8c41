import type { BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { artifactPath, chromiumAvailable, sessionIdIn, textOf } from './support/browser';
import { useServerAndBrowser } from './support/server';

const PASSWORD = 'correct horse battery staple';

// the part of an <img> these tests use; the tsconfig has no DOM types
interface Decodable {
  decode(): Promise<void>;
  naturalWidth: number;
}

/** The cookie Chromium holds for the app: its session ID and its expiry in ms. */
async function heldCookie(context: BrowserContext) {
  const cookie = (await context.cookies()).find((c) => c.name === 'sid');
  return { id: await sessionIdIn(context), expiresMs: (cookie?.expires ?? 0) * 1000 };
}

/** What the panel on the current page shows. */
async function panel(page: Page) {
  return {
    idPrefix: await page.locator('#inspector-id').textContent(),
    expires: await page.locator('#inspector-expires').getAttribute('datetime'),
    outcome: await page.locator('#inspector-cookie').getAttribute('data-outcome'),
  };
}

/** Collects the console's Content Security Policy complaints while a page is open. */
function cspErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) errors.push(m.text());
  });
  return errors;
}

describe.skipIf(!chromiumAvailable())('the inspector panel in a real browser', () => {
  const running = useServerAndBrowser();

  it('shows each browser its own session, matching the cookie that browser holds', async () => {
    const contexts = [await running.browser.newContext(), await running.browser.newContext()];
    const seen = [];
    for (const context of contexts) {
      const page = await context.newPage();
      await page.goto(`${running.server.url}/increment`);
      await page.goto(`${running.server.url}/increment`);
      seen.push({ panel: await panel(page), cookie: await heldCookie(context), page });
    }

    const [a, b] = seen;
    expect(a?.panel.idPrefix).not.toBe(b?.panel.idPrefix);
    for (const { panel: shown, cookie } of seen) {
      expect(shown.outcome).toBe('ok');
      expect(cookie.id?.slice(0, 6)).toBe(shown.idPrefix);
      expect(Math.abs(Date.parse(shown.expires ?? '') - cookie.expiresMs)).toBeLessThanOrEqual(2000);
    }
    await a?.page.screenshot({ path: artifactPath('inspector-increment'), fullPage: true });
    await Promise.all(contexts.map((c) => c.close()));
  });

  it('shows the session ID before and after a login, and the cookie holds the new one', async () => {
    const context = await running.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${running.server.url}/increment`);
    const before = await sessionIdIn(context);

    await page.goto(`${running.server.url}/signup`);
    await page.fill('input[name="username"]', 'e2e_panel');
    await page.fill('input[name="password"]', PASSWORD);
    await Promise.all([
      page.waitForURL(`${running.server.url}/profile`),
      page.click('button[type="submit"]'),
    ]);

    const after = await sessionIdIn(context);
    const change = await textOf(page.locator('#id-change')); // said once, by the profile
    expect(after).not.toBe(before);
    expect(change).toContain(`from ${before?.slice(0, 6)} to ${after?.slice(0, 6)}`);
    expect(change).toContain('Your count (1) came along.');
    expect(await page.locator('#inspector-id').textContent()).toBe(after?.slice(0, 6));
    expect(await page.locator('aside.inspector strong').textContent()).toBe('e2e_panel'); // /profile loaded the login
    expect(await page.locator('#inspector-login-at').count()).toBe(1);
    await page.screenshot({ path: artifactPath('inspector-profile'), fullPage: true });
    await context.close();
  });

  it('draws the workflow on /how-it-works without breaking the CSP', async () => {
    const context = await running.browser.newContext();
    const page = await context.newPage();
    const errors = cspErrors(page);
    const svg = page.waitForResponse((r) => r.url() === `${running.server.url}/workflow.svg`);

    const res = await page.goto(`${running.server.url}/how-it-works`);
    const diagram = await svg;
    await page.locator('.diagram img').evaluate((img: unknown) => (img as Decodable).decode());

    expect(res?.status()).toBe(200);
    expect(diagram.status()).toBe(200);
    expect(diagram.headers()['content-type']).toMatch(/^image\/svg\+xml/);
    expect(
      await page.locator('.diagram img').evaluate((img: unknown) => (img as Decodable).naturalWidth),
    ).toBeGreaterThan(0);
    expect(await page.locator('ol.steps li').count()).toBe(13);
    expect(errors).toEqual([]);
    await page.screenshot({ path: artifactPath('inspector-how-it-works'), fullPage: true });
    await context.close();
  });
});

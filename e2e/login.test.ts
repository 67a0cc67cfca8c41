import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, sessionIdIn } from './support/browser';
import { type OtherOrigin, startOtherOrigin } from './support/other-origin';
import { type RunningServer, startServer } from './support/server';

const PASSWORD = 'correct horse battery staple';

const newUsername = () => `e2e_${randomBytes(4).toString('hex')}`;

/** Fills and submits the app's signup or login form; a success answers 303 and lands on /profile. */
async function submitCredentials(page: Page, url: string, action: 'signup' | 'login', username: string) {
  await page.goto(`${url}/${action}`);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', PASSWORD);
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${url}/${action}` && r.request().method() === 'POST'),
    page.click('button[type="submit"]'),
  ]);
  expect(res.status(), `POST /${action}`).toBe(303);
  await page.waitForURL(`${url}/profile`);
}

/** A page on the other origin whose form posts straight to the app, as a hostile site would. */
function hostileForm(appUrl: string, action: '/login' | '/logout', username = ''): string {
  return `<!doctype html><title>win a prize</title>
<form method="post" action="${appUrl}${action}">
<input type="hidden" name="username" value="${username}"><input type="hidden" name="password" value="${PASSWORD}">
<button type="submit">Claim</button></form>`;
}

describe.skipIf(!chromiumAvailable())('logging in through the forms in a real browser', () => {
  let server: RunningServer;
  let browser: Browser;
  // two other origins: same site with another port (the Lax cookie rides along), and another site
  const others: Record<string, OtherOrigin> = {};

  beforeAll(async () => {
    server = await startServer();
    browser = await launchChromium();
    const pages = { '/logout': hostileForm(server.url, '/logout') };
    others.sameSite = await startOtherOrigin(pages);
    others.crossSite = await startOtherOrigin(pages, 'localhost');
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(Object.values(others).map((o) => o.close()));
    expect(await server?.stop()).toBe(0);
  });

  /** A fresh browser with a user who has just signed up (and is therefore logged in). */
  async function signedUpBrowser() {
    const context = await browser.newContext();
    const page = await context.newPage();
    const username = newUsername();
    await submitCredentials(page, server.url, 'signup', username);
    return { context, page, username };
  }

  describe('POST /signup, /login and /logout', () => {
    it('signs up, sees the profile, logs out, and logs back in with a new session ID', async () => {
      const { context, page, username } = await signedUpBrowser();
      expect(new URL(page.url()).pathname).toBe('/profile');
      expect(await page.locator('#username').textContent()).toBe(username);

      await Promise.all([
        page.waitForURL(`${server.url}/?logged-out`),
        page.click('form[action="/logout"] button'),
      ]);
      expect(await page.locator('#logged-out').textContent()).toContain('store was deleted');
      expect(await page.locator('body').textContent()).not.toContain(username); // the home page names no one
      await page.goto(`${server.url}/profile`);
      expect(new URL(page.url()).pathname).toBe('/login');

      await page.goto(`${server.url}/increment`);
      const anonymousId = await sessionIdIn(context);
      await submitCredentials(page, server.url, 'login', username);
      expect(new URL(page.url()).pathname).toBe('/profile');
      expect(await page.locator('#username').textContent()).toBe(username);
      expect(await sessionIdIn(context)).not.toBe(anonymousId);
      await context.close();
    });

    it('shows the login form again, with a message, for a wrong password', async () => {
      const { context, username } = await signedUpBrowser();
      const stranger = await browser.newContext();
      const page = await stranger.newPage();
      await page.goto(`${server.url}/login`);
      await page.fill('input[name="username"]', username);
      await page.fill('input[name="password"]', `${PASSWORD} nope`);

      const [res] = await Promise.all([
        page.waitForResponse(`${server.url}/login`),
        page.click('button[type="submit"]'),
      ]);

      expect(res.status()).toBe(401);
      expect(await page.locator('[role="alert"]').textContent()).toBe('Invalid username or password');
      await Promise.all([context.close(), stranger.close()]);
    });
  });

  for (const origin of ['sameSite', 'crossSite'] as const) {
    describe(`a form on another origin (${origin === 'sameSite' ? 'same site, other port' : 'other site'})`, () => {
      it('cannot log the user out: 403, and the profile still shows them', async () => {
        const { context, page, username } = await signedUpBrowser();
        await page.goto(`${(others[origin] as OtherOrigin).url}/logout`);

        const [res] = await Promise.all([
          page.waitForResponse(`${server.url}/logout`),
          page.click('button[type="submit"]'),
        ]);

        expect(res.status()).toBe(403);
        await page.goto(`${server.url}/profile`);
        expect(await page.locator('#username').textContent()).toBe(username);
        await context.close();
      });

      it('cannot log a visitor in: 403, and they stay anonymous', async () => {
        const { context: owner, username } = await signedUpBrowser();
        const visitor = await browser.newContext();
        const page = await visitor.newPage();
        await page.goto(`${server.url}/increment`);
        const before = await sessionIdIn(visitor);
        const other = others[origin] as OtherOrigin;
        other.pages[`/login-${username}`] = hostileForm(server.url, '/login', username);
        await page.goto(`${other.url}/login-${username}`);

        const [res] = await Promise.all([
          page.waitForResponse(`${server.url}/login`),
          page.click('button[type="submit"]'),
        ]);

        expect(res.status()).toBe(403);
        expect(await sessionIdIn(visitor)).toBe(before);
        await page.goto(`${server.url}/profile`);
        expect(new URL(page.url()).pathname).toBe('/login');
        await Promise.all([owner.close(), visitor.close()]);
      });
    });
  }
});

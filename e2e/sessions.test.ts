import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from './support/browser';
import { type RunningServer, startServer } from './support/server';

const PASSWORD = 'correct horse battery staple';

/** Submits the signup or login form in a fresh context; a success lands on /profile. */
async function signIn(context: BrowserContext, url: string, action: 'signup' | 'login', username: string) {
  const page = await context.newPage();
  await page.goto(`${url}/${action}`);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', PASSWORD);
  await Promise.all([page.waitForURL(`${url}/profile`), page.click('button[type="submit"]')]);
  return page;
}

describe.skipIf(!chromiumAvailable())('your sessions in a real browser', () => {
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    expect(await server?.stop()).toBe(0);
  });

  it('signs out the other browser with its button; that browser lands on the login page', async () => {
    const username = `e2e_${randomBytes(4).toString('hex')}`;
    const laptop = await browser.newContext();
    const phone = await browser.newContext();
    const mine: Page = await signIn(laptop, server.url, 'signup', username);
    const theirs: Page = await signIn(phone, server.url, 'login', username);
    const violations: string[] = [];
    mine.on('console', (m) => m.text().includes('Content Security Policy') && violations.push(m.text()));

    await mine.click('a[href="/sessions"]');
    await mine.waitForURL(`${server.url}/sessions`);
    const rows = mine.locator('#sessions tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await mine.locator('tr.current').textContent()).toContain('this device');
    await Promise.all([
      mine.waitForURL(`${server.url}/sessions`),
      mine.locator('tbody tr:not(.current) button', { hasText: 'Sign out' }).click(),
    ]);
    expect(await rows.count()).toBe(1);

    await theirs.goto(`${server.url}/profile`);
    expect(new URL(theirs.url()).pathname).toBe('/login');
    await mine.goto(`${server.url}/profile`);
    expect(new URL(mine.url()).pathname).toBe('/profile');
    expect(violations).toEqual([]);
    await laptop.close();
    await phone.close();
  });
});

import { randomBytes } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { artifactPath, chromiumAvailable } from './support/browser';
import { useServerAndBrowser } from './support/server';

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
  const running = useServerAndBrowser();

  it('signs out the other browser with its button; that browser lands on the login page, told so once', async () => {
    const username = `e2e_${randomBytes(4).toString('hex')}`;
    const laptop = await running.browser.newContext();
    const phone = await running.browser.newContext();
    const mine: Page = await signIn(laptop, running.server.url, 'signup', username);
    const theirs: Page = await signIn(phone, running.server.url, 'login', username);
    const violations: string[] = [];
    mine.on('console', (m) => m.text().includes('Content Security Policy') && violations.push(m.text()));

    await mine.click('a[href="/sessions"]');
    await mine.waitForURL(`${running.server.url}/sessions`);
    const rows = mine.locator('#sessions tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await mine.locator('tr.current').textContent()).toContain('this device');
    await mine.screenshot({ path: artifactPath('sessions'), fullPage: true });
    await Promise.all([
      mine.waitForURL(`${running.server.url}/sessions`),
      mine.locator('tbody tr:not(.current) button', { hasText: 'Sign out' }).click(),
    ]);
    expect(await rows.count()).toBe(1);

    await theirs.goto(`${running.server.url}/profile`);
    expect(new URL(theirs.url()).pathname).toBe('/login');
    expect(await theirs.locator('#notice').textContent()).toContain('This browser was signed out');
    await theirs.screenshot({ path: artifactPath('signed-out-notice'), fullPage: true });
    await theirs.reload();
    expect(await theirs.locator('#notice').count()).toBe(0); // shown once
    await mine.goto(`${running.server.url}/profile`);
    expect(new URL(mine.url()).pathname).toBe('/profile');
    expect(violations).toEqual([]);
    await laptop.close();
    await phone.close();
  });
});

import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { artifactPath, chromiumAvailable, sessionIdIn, textOf } from './support/browser';
import { newUsername, PASSWORD, signIn } from './support/forms';
import { useServerAndBrowser } from './support/server';

/** A fresh browser signed in through the form (signup or login). */
async function signedIn(context: BrowserContext, url: string, action: 'signup' | 'login', username: string) {
  const page = await context.newPage();
  await signIn(page, url, action, username);
  return page;
}

describe.skipIf(!chromiumAvailable())('your sessions in a real browser', () => {
  const running = useServerAndBrowser();

  it('signs out the other browser with its button; that browser lands on the login page, told so once', async () => {
    const username = newUsername();
    const laptop = await running.browser.newContext();
    const phone = await running.browser.newContext();
    const mine: Page = await signedIn(laptop, running.server.url, 'signup', username);
    const theirs: Page = await signedIn(phone, running.server.url, 'login', username);
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

  it('changes the password: the page says how many other sessions were signed out and that this one moved to a new ID', async () => {
    const username = newUsername();
    const laptop = await running.browser.newContext();
    const phone = await running.browser.newContext();
    const mine = await signedIn(laptop, running.server.url, 'signup', username);
    const theirs = await signedIn(phone, running.server.url, 'login', username);
    const before = (await sessionIdIn(laptop)) ?? '';

    await mine.click('a[href="/password"]');
    await mine.fill('input[name="currentPassword"]', PASSWORD);
    await mine.fill('input[name="newPassword"]', `${PASSWORD} two`);
    await Promise.all([
      mine.waitForResponse(
        (r) => r.url() === `${running.server.url}/password` && r.request().method() === 'POST',
      ),
      mine.click('button[type="submit"]'),
    ]);

    const after = (await sessionIdIn(laptop)) ?? '';
    expect(after).not.toBe(before);
    expect(await mine.locator('h1').textContent()).toBe('Password changed');
    expect(await textOf(mine.locator('#password-changed'))).toContain('1 other session was signed out.');
    expect(await textOf(mine.locator('#id-moved'))).toContain(
      `moved to a new ID, from ${before.slice(0, 6)} to ${after.slice(0, 6)}`,
    );
    await mine.screenshot({ path: artifactPath('password-changed'), fullPage: true });
    await theirs.goto(`${running.server.url}/profile`);
    expect(new URL(theirs.url()).pathname).toBe('/login');
    expect(await theirs.locator('#notice').textContent()).toContain('This browser was signed out');
    await mine.goto(`${running.server.url}/profile`);
    expect(new URL(mine.url()).pathname).toBe('/profile');
    await laptop.close();
    await phone.close();
  });
});

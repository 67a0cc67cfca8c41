import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';

export const PASSWORD = 'correct horse battery staple';

export const newUsername = () => `e2e_${randomBytes(4).toString('hex')}`;

/** Fills the signup or login form on this page's browser and waits until it lands on /profile. */
export async function signIn(page: Page, url: string, action: 'signup' | 'login', username: string) {
  await page.goto(`${url}/${action}`);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', PASSWORD);
  await Promise.all([page.waitForURL(`${url}/profile`), page.click('button[type="submit"]')]);
}

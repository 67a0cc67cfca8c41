import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Locator } from 'playwright-core';
import { serviceAvailable } from '../../test/support/service';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Whether the browser suites can run. Without Chromium they skip with one printed line,
 * except under CI=true, where a missing browser fails the run rather than passing it quietly.
 */
export function chromiumAvailable(): boolean {
  const missing = existsSync(CHROMIUM_PATH)
    ? undefined
    : `${CHROMIUM_PATH} not found (apt-get install chromium)`;
  return serviceAvailable('browser tests', missing);
}

/** Debian's Chromium, headless, with everything that would phone home or need a GPU turned off. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox', // CI runs as root, where Chromium's sandbox refuses to start
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The session ID inside the signed `sid` cookie a browser context holds (`s:<id>.<signature>`). */
export async function sessionIdIn(context: BrowserContext, name = 'sid'): Promise<string | undefined> {
  const cookie = (await context.cookies()).find((c) => c.name === name);
  if (!cookie) return undefined;
  const value = decodeURIComponent(cookie.value);
  return value.slice(2, value.lastIndexOf('.'));
}

/** An element's text with its whitespace collapsed, as a reader sees it (HTML source has line breaks). */
export async function textOf(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

const ARTIFACTS = fileURLToPath(new URL('../../artifacts/', import.meta.url));

/** Where a test keeps a screenshot: artifacts/<name>.png at the repository root (git-ignored). */
export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, `${name}.png`);
}

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from './support/browser';
import { type OtherOrigin, startOtherOrigin } from './support/other-origin';
import { type RunningServer, startServer } from './support/server';

type Credentials = 'omit' | 'include';

/**
 * Runs in the other origin's page: fetches each URL in cors mode and says what the page could read.
 * A readable response comes back as `read <status>`; a blocked one as the error's name.
 */
async function readFromPage({
  targets,
  credentials,
}: {
  targets: string[];
  credentials: Credentials;
}): Promise<Record<string, string>> {
  const outcomes: Record<string, string> = {};
  for (const target of targets) {
    try {
      const res = await fetch(target, { credentials, headers: { accept: 'application/json' } });
      outcomes[target] = `read ${res.status} ${(await res.text()).slice(0, 40)}`;
    } catch (err) {
      outcomes[target] = (err as Error).name;
    }
  }
  return outcomes;
}

/** Runs in the page: a no-cors fetch always "succeeds" but must hand back an opaque, empty response. */
async function peekNoCors(target: string): Promise<{ type: string; status: number; body: string }> {
  const res = await fetch(target, { mode: 'no-cors', credentials: 'include' });
  return { type: res.type, status: res.status, body: await res.text() };
}

describe.skipIf(!chromiumAvailable())('reading the app from another origin', () => {
  let server: RunningServer;
  let other: OtherOrigin;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer();
    other = await startOtherOrigin();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await other?.close();
    expect(await server?.stop()).toBe(0);
  });

  /** A browser that already has a session with the app, sitting on the other origin's page. */
  async function pageOnOtherOrigin() {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/increment`);
    await page.goto(`${other.url}/`);
    return { context, page };
  }

  const paths = ['/increment', '/', '/profile', '/healthz', '/clear'];

  for (const credentials of ['omit', 'include'] as const) {
    it(`cannot read any response with credentials: '${credentials}' (no permissive CORS)`, async () => {
      const { context, page } = await pageOnOtherOrigin();
      const targets = paths.map((p) => `${server.url}${p}`);

      const outcomes = await page.evaluate(readFromPage, { targets, credentials });

      expect(outcomes).toEqual(Object.fromEntries(targets.map((t) => [t, 'TypeError'])));
      await context.close();
    });
  }

  it("cannot count or clear through the lesson's state-changing GETs either", async () => {
    const { context, page } = await pageOnOtherOrigin(); // the app's count is 1 now
    const targets = ['/increment', '/clear'].map((p) => `${server.url}${p}`);

    await page.evaluate(readFromPage, { targets, credentials: 'include' as const });
    await Promise.all(targets.map((t) => page.evaluate(peekNoCors, t).catch(() => undefined)));

    await page.goto(`${server.url}/increment`);
    expect(await page.locator('#count').textContent()).toBe('2');
    await context.close();
  });

  it('gets only an opaque, empty response in no-cors mode', async () => {
    const { context, page } = await pageOnOtherOrigin();

    const peeks = await Promise.all(
      paths.map((p) => page.evaluate(peekNoCors, `${server.url}${p}`).catch((err: Error) => err.message)),
    );

    for (const peek of peeks) {
      // blocked outright (e.g. by Cross-Origin-Resource-Policy) is fine too: nothing was read either way
      if (typeof peek === 'string') expect(peek).toMatch(/TypeError|Failed to fetch/);
      else expect(peek).toEqual({ type: 'opaque', status: 0, body: '' });
    }
    await context.close();
  });

  it('can read a permissive endpoint, so a blocked read above is the app saying no', async () => {
    const { context, page } = await pageOnOtherOrigin();
    const control = `${other.url.replace('127.0.0.1', 'localhost')}/open.json`;

    const outcomes = await page.evaluate(readFromPage, { targets: [control], credentials: 'omit' as const });

    expect(outcomes[control]).toBe('read 200 {"open":true}');
    await context.close();
  });
});

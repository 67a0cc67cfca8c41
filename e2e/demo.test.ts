import type { BrowserContext } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { artifactPath, chromiumAvailable, sessionIdIn } from './support/browser';
import { useServerAndBrowser } from './support/server';

/** Loads /increment in a context and reads what the page shows. */
async function increment(context: BrowserContext, url: string) {
  const page = context.pages()[0] ?? (await context.newPage());
  const res = await page.goto(`${url}/increment`);
  return {
    page,
    status: res?.status(),
    count: await page.locator('#count').textContent(),
    sid: await page.locator('#sid').textContent(),
  };
}

// memory is the quick one; sqlite is the default a fresh clone runs with
describe.skipIf(!chromiumAvailable()).each(['memory', 'sqlite'])(
  'the demo in two real browsers (%s store)',
  (store) => {
    const running = useServerAndBrowser({ SESSION_STORE: store });

    describe('GET /increment', () => {
      it('gives each browser its own count and its own session ID prefix, matching its cookie', async () => {
        const a = await running.browser.newContext();
        const b = await running.browser.newContext();

        const a1 = await increment(a, running.server.url);
        const b1 = await increment(b, running.server.url);
        const a2 = await increment(a, running.server.url);

        const idA = await sessionIdIn(a);
        const idB = await sessionIdIn(b);
        expect([a1.status, a1.count, a2.count, b1.count]).toEqual([200, '1', '2', '1']);
        expect(a1.sid).toHaveLength(6);
        expect(idA?.startsWith(a1.sid ?? '-')).toBe(true);
        expect(idB?.startsWith(b1.sid ?? '-')).toBe(true);
        expect(a2.sid).toBe(a1.sid);
        expect(idA).not.toBe(idB);
        await a2.page.screenshot({ path: artifactPath(`increment-${store}-browser-a`) });
        await b1.page.screenshot({ path: artifactPath(`increment-${store}-browser-b`) });
        await Promise.all([a.close(), b.close()]);
      });

      it('keeps the session cookie out of reach of page scripts (httpOnly)', async () => {
        const context = await running.browser.newContext();

        const { page } = await increment(context, running.server.url);

        const cookie = (await context.cookies()).find((c) => c.name === 'sid');
        expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', secure: false });
        // a string, not a function: the tsconfig has no DOM types, and this runs in the page
        expect(await page.evaluate('document.cookie')).not.toContain('sid=');
        await context.close();
      });
    });

    describe('GET /clear', () => {
      it('resets only the browser that visits it', async () => {
        const a = await running.browser.newContext();
        const b = await running.browser.newContext();
        await increment(a, running.server.url);
        await increment(a, running.server.url);
        await increment(b, running.server.url);
        const oldIdA = await sessionIdIn(a);

        const cleared = await (a.pages()[0] ?? (await a.newPage())).goto(`${running.server.url}/clear`);

        expect(cleared?.status()).toBe(200);
        expect(await sessionIdIn(a)).toBeUndefined();
        const a1 = await increment(a, running.server.url);
        const b2 = await increment(b, running.server.url);
        expect([a1.count, b2.count]).toEqual(['1', '2']);
        expect(await sessionIdIn(a)).not.toBe(oldIdA);
        await Promise.all([a.close(), b.close()]);
      });
    });
  },
);

import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { storeKey } from '../src/stores/key';
import { artifactPath, chromiumAvailable, sessionIdIn } from './support/browser';
import { useServerAndBrowser } from './support/server';

/** A browser that has counted once: one session in the store. */
async function counted(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${url}/increment`);
  return page;
}

/** The rows /store shows this browser: each key's first characters, and whether it is marked as its own. */
async function storeRows(page: Page, url: string) {
  await page.goto(`${url}/store`);
  const rows = page.locator('#store tbody tr');
  return Promise.all(
    (await rows.all()).map(async (row) => ({
      key: (await row.locator('code').textContent())?.replace('…', ''),
      mine: (await row.getAttribute('aria-current')) === 'true',
    })),
  );
}

const keyOf = async (context: BrowserContext) => storeKey((await sessionIdIn(context)) ?? '').slice(0, 6);

describe.skipIf(!chromiumAvailable()).each(['memory', 'sqlite'])(
  'GET /store in two real browsers (%s store)',
  (store) => {
    const running = useServerAndBrowser({ SESSION_STORE: store });

    it("shows two browsers as two rows, each browser's own marked, and /clear in one removes its row", async () => {
      const a = await running.browser.newContext();
      const b = await running.browser.newContext();
      const pageA = await counted(a, running.server.url);
      const pageB = await counted(b, running.server.url);

      const seenByA = await storeRows(pageA, running.server.url);
      const seenByB = await storeRows(pageB, running.server.url);

      const [keyA, keyB] = [await keyOf(a), await keyOf(b)];
      expect(seenByA).toEqual(
        expect.arrayContaining([
          { key: keyA, mine: true },
          { key: keyB, mine: false },
        ]),
      );
      expect(seenByA).toHaveLength(2);
      expect(seenByB).toEqual(
        expect.arrayContaining([
          { key: keyA, mine: false },
          { key: keyB, mine: true },
        ]),
      );
      expect(await pageB.locator('tr[aria-current="true"]').textContent()).toContain('your browser');
      await pageA.screenshot({ path: artifactPath(`store-${store}-two-browsers`), fullPage: true });

      await pageA.goto(`${running.server.url}/clear`);
      expect(await storeRows(pageB, running.server.url)).toEqual([{ key: keyB, mine: true }]);
      await Promise.all([a.close(), b.close()]);
    });
  },
);

import type { Store } from 'express-session';
import type { Response } from 'supertest';

/** How many sessions the store holds. */
export function storedSessions(store: Store): Promise<number> {
  return new Promise((resolve, reject) => {
    if (!store.length) return reject(new Error('store has no length()'));
    store.length((err, n) => (err ? reject(err) : resolve(n ?? 0)));
  });
}

/** The inspector panel of an HTML page, or '' when the page has none. */
export function panelOf(res: Response): string {
  const start = res.text.indexOf('<aside class="inspector"');
  return start < 0 ? '' : res.text.slice(start, res.text.indexOf('</aside>', start));
}

/** The value of a data-* attribute on the panel's element with this id, e.g. data-outcome of inspector-cookie. */
export function panelAttr(res: Response, id: string, attr: string): string | undefined {
  return new RegExp(`id="${id}" ${attr}="([^"]*)"`).exec(panelOf(res))?.[1];
}

import { once } from 'node:events';
import { createServer } from 'node:http';

export interface OtherOrigin {
  url: string;
  /** HTML by path; add or change pages while the server runs */
  pages: Record<string, string>;
  close(): Promise<void>;
}

/**
 * A second tiny site on another loopback port: another origin (the port differs) that a browser still
 * counts as the same site (127.0.0.1), so SameSite=Lax cookies ride along and only the app's own
 * checks stand between this page and the user's session. With host 'localhost' it is another site as well.
 * Serves `pages` as HTML by path; a JSON endpoint at /open.json allows every origin, as a control that
 * permissive CORS would be noticed.
 */
export async function startOtherOrigin(
  pages: Record<string, string> = {},
  host: '127.0.0.1' | 'localhost' = '127.0.0.1',
): Promise<OtherOrigin> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/open.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
      res.end('{"open":true}');
      return;
    }
    const body = pages[path] ?? (path === '/' ? '<!doctype html><title>other site</title>' : undefined);
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(body ?? 'not found');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('other origin did not get a port');
  return {
    url: `http://${host}:${address.port}`,
    pages,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

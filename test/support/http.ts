import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'supertest';
import type { Config } from '../../src/config';
import { createHttpServer } from '../../src/http/server';

/**
 * An app listening on a free loopback port, for tests that need real connections: in a plain Node
 * server, or given limits, in the server src/server.ts runs (its timeouts and header limit).
 */
export async function listen(
  app: RequestListener,
  limits?: Config['limits'],
): Promise<{ url: string; port: number; server: Server; close: () => Promise<void> }> {
  const server = limits ? createHttpServer(app, limits).server : createServer(app);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** GET path with a cookie as a JSON client; resolves to status and parsed body. */
export async function getJson(
  url: string,
  cookie?: string,
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, { headers: { accept: 'application/json', ...(cookie ? { cookie } : {}) } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

/** The `name=value` part of a fetch response's session cookie. */
export function cookieOf(headers: Headers, name = 'sid'): string | undefined {
  return headers
    .getSetCookie()
    .find((c) => c.startsWith(`${name}=`))
    ?.split(';')[0];
}

/** One JSON request (a POST when there is a body); status, parsed body and the session cookie it set. */
export async function sendJson(
  url: string,
  cookie?: string,
  body?: object,
): Promise<{ status: number; body: Record<string, unknown>; cookie?: string }> {
  const res = await fetch(url, {
    method: body ? 'POST' : 'GET',
    headers: {
      accept: 'application/json',
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(cookie ? { cookie } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
    cookie: cookieOf(res.headers),
  };
}

/** A supertest request sent as a browser's form post: urlencoded, asking for HTML. */
export const asBrowser = (req: Test) => req.type('form').set('Accept', 'text/html');

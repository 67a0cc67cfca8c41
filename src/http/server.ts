import { once } from 'node:events';
import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import net from 'node:net';
import type { Config } from '../config';
import { StartError } from '../errors';

/**
 * The HTTP server with every limit set on purpose (docs/limits-and-shutdown.md), and its drain: stop
 * accepting, close idle connections, let in-flight requests finish with Connection: close, resolve
 * when every connection is gone; cut what is still open after limits.shutdownTimeoutMs.
 */
export function createHttpServer(app: RequestListener, limits: Config['limits']) {
  let draining = false;
  const inFlight = new Set<ServerResponse>();

  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderSize, // larger header sections get 431
      headersTimeout: limits.headersTimeoutMs, // slowloris: the whole header section within this
      requestTimeout: limits.requestTimeoutMs, // the whole request, body included, within this
      keepAliveTimeout: limits.keepAliveTimeoutMs, // idle keep-alive sockets are closed after this
      connectionsCheckingInterval: 1000, // how often the two timeouts above are checked (default 30 s)
    },
    (req, res) => {
      if (draining) res.setHeader('Connection', 'close');
      inFlight.add(res);
      res.on('close', () => inFlight.delete(res));
      app(req, res);
    },
  );
  server.maxRequestsPerSocket = 0; // no cap: keep-alive is bounded by keepAliveTimeout instead

  const drain = (): Promise<void> =>
    new Promise((resolve) => {
      draining = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      // net's close, not http's, which also drops idle sockets at once: one whose next request sits
      // unread in its buffer looks idle, and that request would be reset
      net.Server.prototype.close.call(server, () => {
        clearInterval(sweep);
        clearTimeout(force);
        resolve();
      });
      // let idle clients go, to reconnect to a live instance: the second immediate comes after a whole
      // poll phase, which has read (and so marked busy) every request that arrived before drain()
      setImmediate(() => setImmediate(() => server.closeIdleConnections()));
      // and the sockets that go idle later (a response whose headers left before drain())
      const sweep = setInterval(() => server.closeIdleConnections(), 250);
      // past the deadline, cut what is left rather than hang
      const force = setTimeout(() => server.closeAllConnections(), limits.shutdownTimeoutMs);
    });

  return { server, drain };
}

/** The address as the README writes it: `localhost` for a loopback host, so cookies match the guide. */
export function displayUrl(host: string, port: number): string {
  const loopback = host === 'localhost' || host === '::1' || (net.isIPv4(host) && host.startsWith('127.'));
  const name = loopback ? 'localhost' : net.isIPv6(host) ? `[${host}]` : host;
  return `http://${name}:${port}`;
}

/** Listens and resolves with the URL; a port in use or not allowed is a StartError naming the fix. */
export async function listen(server: Server, port: number, host: string): Promise<string> {
  try {
    await once(server.listen(port, host), 'listening');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new StartError(`port ${port} is in use; set PORT`);
    if (code === 'EACCES') throw new StartError(`port ${port} needs privileges; set PORT above 1023`);
    if (code === 'EADDRNOTAVAIL') throw new StartError(`no interface has address ${host}; set HOST`);
    throw err;
  }
  const address = server.address();
  return displayUrl(host, typeof address === 'object' && address ? address.port : port);
}

import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import net from 'node:net';
import type { Config } from './config';

const IDLE_SWEEP_MS = 250;

export interface HttpServer {
  server: Server;
  /**
   * Stops accepting, lets in-flight requests finish (their responses say Connection: close so
   * keep-alive clients do not reuse a closing socket) and resolves once every connection is gone.
   * Connections still open after limits.shutdownTimeoutMs are cut.
   */
  drain(): Promise<void>;
}

/** The HTTP server with every limit set on purpose (see the table in the README). */
export function createHttpServer(app: RequestListener, limits: Config['limits']): HttpServer {
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
      res.once('close', () => inFlight.delete(res));
      app(req, res);
    },
  );
  server.maxRequestsPerSocket = 0; // no cap: keep-alive is bounded by keepAliveTimeout instead

  const drain = () =>
    new Promise<void>((resolve) => {
      draining = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      // net's close, not http's: http's also drops idle keep-alive sockets at once, and one whose next
      // request already sits unread in its buffer looks idle, so that request would be reset.
      // Stop accepting now; sweep idle sockets after the event loop has read what had arrived.
      net.Server.prototype.close.call(server, () => {
        clearInterval(sweep);
        clearTimeout(force);
        resolve();
      });
      const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
      // past the deadline, cut what is left rather than hang
      const force = setTimeout(() => server.closeAllConnections(), limits.shutdownTimeoutMs);
    });

  return { server, drain };
}

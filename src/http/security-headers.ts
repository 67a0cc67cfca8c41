import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import helmet from 'helmet';
import type { Config } from '../config';

/**
 * Security headers on every response. The app's pages are plain HTML: no script, no inline style,
 * no framing, forms that post to this origin; so the policy allows exactly that and nothing else.
 */
export function securityHeaders(config: Config): RequestHandler {
  const middleware = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"], // nothing loads unless listed below
        imgSrc: ["'self'"], // a favicon
        styleSrc: ["'self'"],
        formAction: ["'self'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"], // no clickjacking through a frame
        // over plain HTTP (development) upgrading would break every link
        upgradeInsecureRequests: config.session.secure ? [] : null,
      },
    },
    strictTransportSecurity: config.session.secure, // HSTS only means something over HTTPS
    frameguard: { action: 'deny' }, // X-Frame-Options for browsers without frame-ancestors
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-origin' }, // other origins cannot embed responses
    // nosniff, COOP same-origin and the rest of helmet's defaults stay on
  });
  // captured once, as helmet sets them: with no function in the policy they are the same on every
  // response, and helmet's dozen middlewares per request cost 3.7% of bench scenario 3 (bench/README.md)
  const headers: [string, string][] = [];
  const recorder = {
    setHeader: (name: string, value: string) => headers.push([name, value]),
    removeHeader: () => {}, // X-Powered-By, which app.ts never sets
  };
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
  });
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}

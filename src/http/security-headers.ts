import type { RequestHandler } from 'express';
import helmet from 'helmet';
import type { Config } from '../config';

/**
 * Security headers on every response (helmet). The app's pages are plain HTML: no script, no inline
 * style, no framing, forms that post to this origin; so the policy allows exactly that and nothing else.
 */
export function securityHeaders(config: Config): RequestHandler {
  return helmet({
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
  });
}

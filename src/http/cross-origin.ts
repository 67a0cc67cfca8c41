import type { Request, RequestHandler } from 'express';
import { replyMessage } from './replies';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

// Express routes case-insensitively and ignores a trailing slash, so paths compare the same way
const normalise = (path: string) => path.toLowerCase().replace(/\/+$/, '') || '/';

/** Whether a request came from this site (or a trusted one), as Go 1.25's http.CrossOriginProtection decides. */
function isSameOrigin(req: Request, trusted: ReadonlySet<string>): boolean {
  const origin = req.headers.origin?.toLowerCase();
  // a trusted origin passes whatever the browser says about it
  if (origin !== undefined && trusted.has(origin)) return true;
  const site = req.headers['sec-fetch-site'];
  if (site) return site === 'same-origin' || site === 'none'; // none: typed URL, bookmark
  // older browsers and non-browser clients: no Sec-Fetch-Site, so fall back to Origin
  if (origin === undefined) return true; // curl, supertest, server-to-server: no ambient cookies to abuse
  // req.protocol and req.host honour trust proxy (X-Forwarded-Proto/-Host); Origin: null never matches
  return origin === `${req.protocol}://${req.host}`.toLowerCase();
}

/**
 * Refuses cross-origin state-changing requests with 403 before the session is loaded, so a refused
 * request changes nothing. Unsafe methods are always checked; so are the GET paths listed (the lesson's
 * /increment and /clear change state on GET). With SameSite=Lax cookies this needs no tokens.
 */
export function crossOriginProtection(
  allowedOrigins: readonly string[],
  stateChangingGets: readonly string[],
): RequestHandler {
  const trusted = new Set(allowedOrigins.map((o) => o.toLowerCase().replace(/\/+$/, '')));
  const guarded = new Set(stateChangingGets.map(normalise));
  return (req, res, next) => {
    const checked = !SAFE_METHODS.has(req.method) || guarded.has(normalise(req.path));
    if (!checked || isSameOrigin(req, trusted)) return next();
    replyMessage(req, res, 403, 'Cross-origin request refused');
  };
}

import type { Request } from 'express';

// negotiation once per distinct Accept value: clients send a handful, and req.accepts parses it anew
const MAX_ACCEPT_VALUES = 100;
const DECIDED = Symbol('negotiated Accept values');
type WithMemo = { [DECIDED]?: Map<string, boolean> };

/** The app's own memo, so no two apps in one process (tests) share one. */
const memoOf = (req: Request) => ((req.app as unknown as WithMemo)[DECIDED] ??= new Map());

/** Browsers get HTML; curl, fetch and anything that prefers JSON or accepts all get JSON. */
export function prefersHtml(req: Request): boolean {
  const accept = req.headers.accept ?? '';
  const decided = memoOf(req);
  let html = decided.get(accept);
  if (html === undefined) {
    html = req.accepts(['json', 'html']) === 'html';
    if (decided.size >= MAX_ACCEPT_VALUES) decided.delete(decided.keys().next().value ?? ''); // oldest out
    if (accept.length <= 1024) decided.set(accept, html); // a huge header is negotiated every time
  }
  return html;
}

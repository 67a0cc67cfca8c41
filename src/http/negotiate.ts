import type { Request } from 'express';

// negotiation once per distinct Accept value: clients send a handful, and req.accepts parses it anew
const MAX_ACCEPT_VALUES = 100;
const decided = new Map<string, boolean>();

/** Browsers get HTML; curl, fetch and anything that prefers JSON or accepts all get JSON. */
export function prefersHtml(req: Request): boolean {
  const accept = req.headers.accept ?? '';
  let html = decided.get(accept);
  if (html === undefined) {
    html = req.accepts(['json', 'html']) === 'html';
    if (decided.size >= MAX_ACCEPT_VALUES) decided.delete(decided.keys().next().value ?? ''); // oldest out
    if (accept.length <= 1024) decided.set(accept, html); // a huge header is negotiated every time
  }
  return html;
}

import { isIPv4, isIPv6 } from 'node:net';
import type { Request, Response } from 'express';

const MAX_OTHER_LENGTH = 64; // junk from a trusted X-Forwarded-For: bounded, since each is a counter key

/**
 * Whom a client address counts as, for throttling: IPv4 as is, an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) as its IPv4, other IPv6 by its /64 prefix (one host usually holds a whole /64,
 * and could otherwise count as 2^64 clients). Anything else is cut short but kept.
 */
export function clientKey(ip: string): string {
  const address = ip.split('%')[0] ?? ''; // a zone index (fe80::1%eth0) names an interface, not a host
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return ip.slice(0, MAX_OTHER_LENGTH);
  // the URL parser writes IPv6 canonically: lowercase, no leading zeros, an embedded IPv4 as hex
  const [head = '', tail = ''] = new URL(`http://[${address}]`).hostname.slice(1, -1).split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  if (groups.slice(0, 6).join(':') === '0:0:0:0:0:ffff') {
    const [hi = 0, lo = 0] = groups.slice(6).map((group) => Number.parseInt(group, 16));
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  }
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** The client's address as the app sees it (req.ip honours TRUST_PROXY): what every throttle counts under. */
export const clientIp = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/** Retry-After for a throttled answer, in whole seconds. */
export const setRetryAfter = (res: Response, ms: number) =>
  res.set('Retry-After', String(Math.ceil(ms / 1000)));

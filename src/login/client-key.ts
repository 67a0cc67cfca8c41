import { isIPv4, isIPv6 } from 'node:net';
import type { Request, Response } from 'express';

const MAX_OTHER_LENGTH = 64; // junk from a trusted X-Forwarded-For: bounded, since each is a counter key

/** An IPv6 address as eight 16-bit numbers, or undefined when it is not one. */
function groupsOf(ip: string): number[] | undefined {
  if (!isIPv6(ip)) return undefined;
  let text = ip.toLowerCase();
  const tail = text.slice(text.lastIndexOf(':') + 1);
  if (isIPv4(tail)) {
    // an embedded IPv4 (::ffff:192.0.2.1) is the last two groups
    const [a, b, c, d] = tail.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -tail.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const zeros = rest === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => Number.parseInt(group, 16));
}

/**
 * Whom a client address counts as, for throttling: IPv4 as is, an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) as its IPv4, other IPv6 by its /64 prefix (one host usually holds a whole /64,
 * and could otherwise count as 2^64 clients). Anything else is cut short but kept.
 */
export function clientKey(ip: string): string {
  const address = ip.split('%')[0] ?? ''; // a zone index (fe80::1%eth0) names an interface, not a host
  if (isIPv4(address)) return address;
  const groups = groupsOf(address);
  if (!groups) return ip.slice(0, MAX_OTHER_LENGTH);
  if (groups.slice(0, 6).join() === '0,0,0,0,0,65535') {
    const [hi = 0, lo = 0] = groups.slice(6);
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}

/** The client's address as the app sees it (req.ip honours TRUST_PROXY): what every throttle counts under. */
export const clientIp = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/** Retry-After for a throttled answer, in whole seconds. */
export const setRetryAfter = (res: Response, ms: number) =>
  res.set('Retry-After', String(Math.ceil(ms / 1000)));

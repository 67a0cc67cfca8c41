import { isIPv4, isIPv6 } from 'node:net';
import type { Request, Response } from 'express';
import type { Config } from '../config';
import { withDeadline } from '../deadline';
import { HttpError } from '../errors';
import type { RedisClient } from '../redis';
import { type CounterFactory, memoryCounters, redisCounters } from './throttle-counters';

/**
 * Whom a client address counts as, for throttling: IPv4 as is, an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) as its IPv4, other IPv6 by its /64 prefix (one host usually holds a whole /64,
 * and could otherwise count as 2^64 clients). Anything else is cut short but kept.
 */
export function clientKey(ip: string): string {
  const address = ip.split('%')[0] ?? ''; // a zone index (fe80::1%eth0) names an interface, not a host
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return ip.slice(0, 64); // junk from a trusted X-Forwarded-For: each is a counter key
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

/** A throttle's refusal: 429, with Retry-After in whole seconds. */
export function throttled(res: Response, retryAfterMs: number): 429 {
  res.set('Retry-After', String(Math.ceil(retryAfterMs / 1000)));
  return 429;
}

type Verdict = { allowed: true } | { allowed: false; retryAfterMs: number };

/** The limiter's backing store failed or was slow: a fast 503, never a hang. */
export class LimiterUnavailableError extends HttpError {
  override name = 'LimiterUnavailableError';

  constructor(cause: unknown, what = 'Login') {
    super(503, `${what} temporarily unavailable`, { 'Retry-After': '1' }, { cause });
  }
}

const verdict = (msLeft: number | undefined): Verdict =>
  msLeft === undefined ? { allowed: true } : { allowed: false, retryAfterMs: Math.max(1000, msLeft) };

export type AttemptLimiter = ReturnType<typeof createAttemptLimiter>;

/**
 * Counts login attempts per (username, client) and per client, and signups per client: in Redis, so
 * that instances share them, or else in memory, at most config.login.maxCounters of them.
 */
export function createAttemptLimiter(
  config: Config,
  redis?: RedisClient,
  counters: CounterFactory = redis
    ? redisCounters(redis, config.login.attemptWindowMs)
    : memoryCounters(config.login.maxCounters, config.login.attemptWindowMs).make,
) {
  const { maxAttempts, maxAttemptsPerIp } = config.login;
  const perUser = counters('login:user', maxAttempts);
  const perIp = counters('login:ip', maxAttemptsPerIp);
  // its own counter, so signing up never uses up the logins of a shared address (an office, a NAT)
  const signupsPerIp = counters('signup:ip', maxAttemptsPerIp);
  const userKey = (username: string, client: string) => `${encodeURIComponent(username)}@${client}`;
  const guard = <T>(promise: Promise<T>, what = 'Login') =>
    withDeadline(promise, config.store.timeoutMs, `${what.toLowerCase()} limiter`).catch((err: unknown) => {
      throw new LimiterUnavailableError(err, what);
    });

  return {
    async attempt(username: string, ip: string): Promise<Verdict> {
      const client = clientKey(ip);
      // the address first: a refused request leaves no per-user counter behind, so a flood of
      // made-up names from one address costs one counter. Consume, then check: parallel guesses
      // cannot all slip past a read-then-write check.
      const ipLeft = await guard(perIp.consume(client));
      if (ipLeft !== undefined) return verdict(ipLeft);
      return verdict(await guard(perUser.consume(userKey(username, client))));
    },

    /** a success clears the (username, client) counter and gives the attempt back to the client */
    async succeeded(username: string, ip: string): Promise<void> {
      const client = clientKey(ip);
      await guard(Promise.all([perUser.delete(userKey(username, client)), perIp.reward(client)]));
    },

    /** gives a reserved attempt back to both counters: refused (503) before the password was checked */
    async refund(username: string, ip: string): Promise<void> {
      const client = clientKey(ip);
      await guard(Promise.all([perUser.reward(userKey(username, client)), perIp.reward(client)]));
    },

    async signup(ip: string): Promise<Verdict> {
      return verdict(await guard(signupsPerIp.consume(clientKey(ip)), 'Signup'));
    },

    async refundSignup(ip: string): Promise<void> {
      await guard(signupsPerIp.reward(clientKey(ip)), 'Signup');
    },
  };
}

/**
 * Runs the work an attempt was reserved for; refused with a 503 (hash queue full, a store down), the
 * password was never checked, so the attempt is given back: an outage must not use up a user's attempts.
 */
export async function refundIfRefused<T>(work: () => Promise<T>, refund: () => Promise<void>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    // best effort: if the counter store fails too, the answer is the same 503 and the attempt stays counted
    if (err instanceof HttpError && err.status === 503) await refund().catch(() => {});
    throw err;
  }
}

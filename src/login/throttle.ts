import type { Config } from '../config';
import { withDeadline } from '../deadline';
import { HttpError } from '../errors';
import type { RedisClient } from '../redis';
import { clientKey } from './client-key';
import { type CounterFactory, memoryCounters, redisCounters } from './throttle-counters';

type Verdict = { allowed: true } | { allowed: false; retryAfterMs: number };

/** The limiter's backing store failed or was slow: a fast 503, never a hang. */
export class LimiterUnavailableError extends HttpError {
  constructor(cause: unknown, what = 'Login') {
    super(503, `${what} temporarily unavailable`, { 'Retry-After': '1' }, { cause });
    this.name = 'LimiterUnavailableError';
  }
}

const verdict = (msLeft: number | undefined): Verdict =>
  msLeft === undefined ? { allowed: true } : { allowed: false, retryAfterMs: Math.max(1000, msLeft) };

export type AttemptLimiter = ReturnType<typeof createAttemptLimiter>;

/**
 * Counts login attempts per (username, client) and per client, and signups per client, in Redis (a
 * node-redis client) so that instances share them, or else in memory, at most config.login.maxCounters
 * of them. Clients are keyed by clientKey (IPv6 by its /64).
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
    /** reserves one attempt; throttled once a counter is past its limit within the window */
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
 * Runs the work an attempt was reserved for (a user lookup, a password hash or both); when it is
 * refused with a 503 (hash queue full or waited too long, a store down) the password was never
 * checked, so the attempt is given back first: a flood or an outage must not use up a user's attempts.
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

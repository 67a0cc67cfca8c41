import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config';
import { HttpError, withDeadline } from '../errors';
import { BusyError } from './semaphore';

export type Verdict = { allowed: true } | { allowed: false; retryAfterMs: number };

/** Counts login attempts per (username, client IP) and per client IP, and signups per client IP. */
export interface AttemptLimiter {
  /** reserves one attempt; throttled once a counter is past its limit within the window */
  attempt(username: string, ip: string): Promise<Verdict>;
  /** a success clears the (username, IP) counter and gives the attempt back to the IP */
  succeeded(username: string, ip: string): Promise<void>;
  /** gives a reserved attempt back to both counters: the server was too busy to check the password */
  refund(username: string, ip: string): Promise<void>;
  /** reserves one signup for the IP: its own counter, with the per-IP login limit and window */
  signup(ip: string): Promise<Verdict>;
  /** gives a reserved signup back: the server was too busy to hash the password */
  refundSignup(ip: string): Promise<void>;
}

/** The limiter's backing store failed or was slow: a fast 503, never a hang. */
export class LimiterUnavailableError extends HttpError {
  constructor(cause: unknown, what = 'Login') {
    super(503, `${what} temporarily unavailable`, { 'Retry-After': '1' }, { cause });
    this.name = 'LimiterUnavailableError';
  }
}

type Limiter = RateLimiterMemory | RateLimiterRedis;

/**
 * rate-limiter-flexible counters: in memory for one instance, or in Redis (a node-redis client) so
 * that instances share them. Windows are fixed, starting at the first counted attempt.
 */
export function createAttemptLimiter(config: Config, redis?: unknown): AttemptLimiter {
  const { maxAttempts, maxAttemptsPerIp, attemptWindowMs } = config.login;
  const duration = Math.ceil(attemptWindowMs / 1000);
  const make = (keyPrefix: string, points: number): Limiter =>
    redis
      ? new RateLimiterRedis({
          storeClient: redis,
          useRedisPackage: true, // node-redis v4+, not ioredis
          rejectIfRedisNotReady: true, // fail fast while disconnected instead of queueing
          keyPrefix,
          points,
          duration,
        })
      : new RateLimiterMemory({ keyPrefix, points, duration });
  const perUser = make('login:user', maxAttempts);
  const perIp = make('login:ip', maxAttemptsPerIp);
  // its own counter, so signing up never uses up the logins of a shared address (an office, a NAT)
  const signupsPerIp = make('signup:ip', maxAttemptsPerIp);
  const userKey = (username: string, ip: string) => `${encodeURIComponent(username)}@${ip}`;
  const guard = <T>(promise: Promise<T>, what = 'Login') =>
    withDeadline(promise, config.store.timeoutMs, `${what.toLowerCase()} limiter`).catch((err: unknown) => {
      throw new LimiterUnavailableError(err, what);
    });
  const verdict = (results: PromiseSettledResult<unknown>[], what = 'Login'): Verdict => {
    const refused = results.map((result) => {
      if (result.status === 'fulfilled') return undefined;
      if (result.reason instanceof RateLimiterRes) return result.reason.msBeforeNext;
      throw new LimiterUnavailableError(result.reason, what);
    });
    const waits = refused.filter((ms) => ms !== undefined);
    return waits.length === 0
      ? { allowed: true }
      : { allowed: false, retryAfterMs: Math.max(1000, ...waits) };
  };

  return {
    async attempt(username, ip) {
      // consume first, check after: parallel guesses cannot all slip past a read-then-write check
      const results = await guard(
        Promise.allSettled([perUser.consume(userKey(username, ip)), perIp.consume(ip)]),
      );
      return verdict(results);
    },

    async succeeded(username, ip) {
      await guard(Promise.all([perUser.delete(userKey(username, ip)), perIp.reward(ip, 1)]));
    },

    async refund(username, ip) {
      await guard(Promise.all([perUser.reward(userKey(username, ip), 1), perIp.reward(ip, 1)]));
    },

    async signup(ip) {
      const results = await guard(Promise.allSettled([signupsPerIp.consume(ip)]), 'Signup');
      return verdict(results, 'Signup');
    },

    async refundSignup(ip) {
      await guard(signupsPerIp.reward(ip, 1), 'Signup');
    },
  };
}

/**
 * Runs a password hash; when it is refused with BusyError (503) the password was never checked, so
 * the attempt reserved for it is given back first: a flood must not use up a real user's attempts.
 */
export async function refundIfBusy<T>(hashing: () => Promise<T>, refund: () => Promise<void>): Promise<T> {
  try {
    return await hashing();
  } catch (err) {
    // best effort: if the counter store fails too, the answer is the same 503 and the attempt stays counted
    if (err instanceof BusyError) await refund().catch(() => {});
    throw err;
  }
}

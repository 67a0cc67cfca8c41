import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { withDeadline } from '../deadline';
import { StoreUnavailableError } from '../errors';
import type { Logger } from '../logger';
import { runScript, type ScriptClient } from '../redis';
import { MemoryLock } from './memory';
import { type Release, SessionBusyError, type SessionLock } from './types';

export interface RedisLockOptions {
  client: ScriptClient;
  prefix: string; // apart from the session prefix, so a scan of sessions never meets a lock
  waitMs: number;
  maxWaiters: number;
  ttlMs: number; // a lock not renewed for this long expires: how long a crashed holder blocks its session
  timeoutMs: number; // the deadline of each Redis call
  logger?: Logger;
}

// only the owner (the one who knows the token) may delete or extend
const DELETE_IF_OWNER = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const EXTEND_IF_OWNER = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/**
 * A session lock shared by every instance on one Redis: SET key token NX PX ttl, deleted only by its
 * owner (the Redis docs' single-instance lock). Requests of one session in this process first queue
 * in a MemoryLock, so only the head of that queue polls Redis. While held, the lock is renewed every
 * ttl/3, so only a dead or frozen holder lets it expire.
 */
export class RedisLock implements SessionLock {
  private readonly local: MemoryLock;
  // tokens only need to differ between holders: a random prefix per lock, then a counter
  private readonly tokenPrefix = randomBytes(16).toString('base64url');
  private taken = 0;

  constructor(private readonly options: RedisLockOptions) {
    this.local = new MemoryLock(options);
  }

  async acquire(sid: string): Promise<Release> {
    const { prefix, ttlMs, logger } = this.options;
    const deadline = Date.now() + this.options.waitMs;
    const releaseLocal = await this.local.acquire(sid);
    const key = `${prefix}${sid}`;
    const token = `${this.tokenPrefix}.${++this.taken}`;
    const ifOwner = (script: string, ...args: string[]) =>
      this.redis((client) => runScript(client, script, [key], [token, ...args]));
    try {
      await this.take(key, token, deadline);
    } catch (err) {
      // a SET that timed out may still land; take it back rather than block the session for ttlMs
      if (err instanceof StoreUnavailableError) ifOwner(DELETE_IF_OWNER).catch(() => {});
      releaseLocal();
      throw err;
    }
    const renew = () =>
      ifOwner(EXTEND_IF_OWNER, String(ttlMs)).then(
        (kept) => {
          if (kept !== 1) logger?.warn('session lock expired while its request still ran');
        },
        (err) => logger?.warn({ err }, 'session lock renewal failed'),
      );
    const renewal = setInterval(renew, Math.floor(ttlMs / 3)).unref();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      clearInterval(renewal);
      // commands on one connection run in order, so the next local waiter's SET comes after this
      ifOwner(DELETE_IF_OWNER).catch((err) =>
        logger?.warn({ err }, 'session lock release failed; it expires by itself'),
      );
      releaseLocal();
    };
  }

  /** SET NX until it lands: 2 ms, doubling to 50, with jitter so instances do not poll in step. */
  private async take(key: string, token: string, deadline: number): Promise<void> {
    const set = ['SET', key, token, 'NX', 'PX', String(this.options.ttlMs)];
    for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
      if ((await this.redis((client) => client.sendCommand(set))) === 'OK') return;
      const left = deadline - Date.now();
      if (left <= 0) throw new SessionBusyError(`held elsewhere past ${this.options.waitMs} ms`);
      await sleep(Math.min(left, delay * (0.5 + Math.random())));
    }
  }

  /** One Redis call within the deadline; whatever goes wrong, the lock is unavailable (503). */
  private redis(call: (client: ScriptClient) => Promise<unknown>): Promise<unknown> {
    const { client, timeoutMs } = this.options;
    return withDeadline(call(client), timeoutMs, 'lock').catch((err: unknown) => {
      if (err instanceof StoreUnavailableError) throw err;
      throw new StoreUnavailableError(`lock: ${(err as Error)?.message}`);
    });
  }
}

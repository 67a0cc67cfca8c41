import { randomBytes } from 'node:crypto';
import { withDeadline } from '../deadline';
import { StoreUnavailableError } from '../errors';
import type { Logger } from '../logger';
import { runScript, type ScriptClient } from '../redis';
import { MemoryLock } from './memory';
import { type Release, SessionBusyError, type SessionLock } from './types';

export interface RedisLockOptions {
  client: ScriptClient;
  /** key prefix; kept apart from the session prefix so a scan of sessions never meets a lock */
  prefix: string;
  waitMs: number;
  maxWaiters: number;
  /** a lock not renewed for this long expires: how long a crashed holder blocks its session */
  ttlMs: number;
  /** deadline for each Redis call */
  timeoutMs: number;
  logger?: Logger;
}

// only the owner (the one who knows the token) may delete or extend
const DELETE_IF_OWNER = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const EXTEND_IF_OWNER = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
    const deadline = Date.now() + this.options.waitMs;
    const releaseLocal = await this.local.acquire(sid);
    const key = `${this.options.prefix}${sid}`;
    const token = `${this.tokenPrefix}.${++this.taken}`;
    try {
      await this.take(key, token, deadline);
    } catch (err) {
      // a SET that timed out may still land; take it back rather than block the session for ttlMs
      if (err instanceof StoreUnavailableError) this.script(DELETE_IF_OWNER, key, [token]).catch(() => {});
      releaseLocal();
      throw err;
    }
    const renewal = setInterval(() => this.extend(key, token), Math.floor(this.options.ttlMs / 3)).unref();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      clearInterval(renewal);
      // commands on one connection run in order, so the next local waiter's SET comes after this
      this.script(DELETE_IF_OWNER, key, [token]).catch((err) =>
        this.options.logger?.warn({ err }, 'session lock release failed; it expires by itself'),
      );
      releaseLocal();
    };
  }

  /** SET NX until it lands: 2 ms, doubling to 50, with jitter so instances do not poll in step. */
  private async take(key: string, token: string, deadline: number): Promise<void> {
    const px = String(this.options.ttlMs);
    for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
      if (
        (await this.deadline(this.options.client.sendCommand(['SET', key, token, 'NX', 'PX', px]))) === 'OK'
      )
        return;
      const left = deadline - Date.now();
      if (left <= 0) throw new SessionBusyError(`held elsewhere past ${this.options.waitMs} ms`);
      await pause(Math.min(left, delay * (0.5 + Math.random())));
    }
  }

  private extend(key: string, token: string): void {
    this.script(EXTEND_IF_OWNER, key, [token, String(this.options.ttlMs)]).then(
      (kept) => {
        if (kept !== 1) this.options.logger?.warn('session lock expired while its request still ran');
      },
      (err) => this.options.logger?.warn({ err }, 'session lock renewal failed'),
    );
  }

  private script(script: string, key: string, args: string[]): Promise<unknown> {
    return this.deadline(runScript(this.options.client, script, [key], args));
  }

  private async deadline(command: Promise<unknown>): Promise<unknown> {
    try {
      return await withDeadline(command, this.options.timeoutMs, 'lock');
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw err;
      throw new StoreUnavailableError(`lock: ${(err as Error)?.message}`);
    }
  }
}

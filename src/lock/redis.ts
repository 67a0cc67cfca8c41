import { StoreUnavailableError, withDeadline } from '../errors';
import type { Logger } from '../logger';
import { runScript } from '../stores/redis-scripts';
import { OwnerTokens, pollUntilTaken, renewedRelease } from './holding';
import { MemoryLock } from './memory';
import { REPLACED_MARKER as REPLACED, REPLACED_FOR_MS } from './replaced-sessions';
import { type Release, SessionBusyError, type SessionLock, SessionReplacedError } from './types';

/** The one node-redis method the lock needs, so a test can hand in any client. */
export interface RedisCommands {
  sendCommand<T = unknown>(args: string[]): Promise<T>;
}

export interface RedisLockOptions {
  client: RedisCommands;
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
// a login moved the session to a new ID: the key keeps a marker instead, which no token can equal,
// so every instance turns the old ID away (SessionReplacedError) until it expires
const REPLACE_IF_OWNER = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3]) else return 0 end`;

/**
 * A session lock shared by every instance on one Redis: SET key token NX PX ttl, deleted only by its
 * owner. Requests of one session in this process first queue in a MemoryLock, so only the head of
 * that queue polls Redis. While held, the lock is renewed every ttl/3, so only a dead or frozen holder
 * lets it expire.
 */
export class RedisLock implements SessionLock {
  private readonly local: MemoryLock;
  private readonly tokens = new OwnerTokens();

  constructor(private readonly options: RedisLockOptions) {
    this.local = new MemoryLock(options);
  }

  async acquire(sid: string): Promise<Release> {
    const deadline = Date.now() + this.options.waitMs;
    const releaseLocal = await this.local.acquire(sid);
    const key = `${this.options.prefix}${sid}`;
    const token = this.tokens.next();
    try {
      await this.take(key, token, deadline);
    } catch (err) {
      // a SET that timed out may still land; take it back rather than block the session for ttlMs
      if (err instanceof StoreUnavailableError) this.script(DELETE_IF_OWNER, key, [token]).catch(() => {});
      releaseLocal(err instanceof SessionReplacedError ? { replaced: true } : undefined); // local waiters too
      throw err;
    }
    // commands on one connection run in order, so the next local waiter's SET comes after this DEL
    const giveBack = (outcome?: { replaced: boolean }) => {
      const released = outcome?.replaced
        ? this.script(REPLACE_IF_OWNER, key, [token, REPLACED, String(REPLACED_FOR_MS)])
        : this.script(DELETE_IF_OWNER, key, [token]);
      released.catch((err) =>
        this.options.logger?.warn({ err }, 'session lock release failed; it expires by itself'),
      );
    };
    return renewedRelease(this.options.ttlMs, () => this.extend(key, token), giveBack, releaseLocal);
  }

  private take(key: string, token: string, deadline: number): Promise<void> {
    const px = String(this.options.ttlMs);
    return pollUntilTaken(
      async () => {
        if ((await this.call(['SET', key, token, 'NX', 'PX', px])) === 'OK') return true;
        if ((await this.call(['GET', key])) === REPLACED) throw new SessionReplacedError(); // only when contended
        return false;
      },
      deadline,
      () => new SessionBusyError(`held elsewhere past ${this.options.waitMs} ms`),
    );
  }

  private extend(key: string, token: string): void {
    this.script(EXTEND_IF_OWNER, key, [token, String(this.options.ttlMs)]).then(
      (kept) => {
        if (kept !== 1) this.options.logger?.warn('session lock expired while its request still ran');
      },
      (err) => this.options.logger?.warn({ err }, 'session lock renewal failed'),
    );
  }

  // by hash (EVALSHA), sent in full only when Redis does not have it yet
  private script(script: string, key: string, args: string[]): Promise<unknown> {
    return this.deadline(runScript(this.options.client, script, [key], args));
  }

  private call(args: string[]): Promise<unknown> {
    return this.deadline(this.options.client.sendCommand(args));
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

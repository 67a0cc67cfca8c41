import { UserStoreUnavailableError } from '../errors';
import { whenFree } from '../sqlite/busy';
import { type Database, isUnavailable, migrate } from '../sqlite/database';
import { newLoginId, SEEN_EVERY_MS } from './login-id';
import { toLogin, toUser } from './rows';
import { MIGRATIONS, prepareStatements } from './sqlite-sql';
import type { Login, LoginLifetimes, NewLogin, NewUser, UserStore } from './types';

const DEFAULT_LIFETIMES: LoginLifetimes = { idleMs: 86_400_000, maxAgeMs: 43_200_000 };

/**
 * Users and their logins in the SQLite file. SQLite runs one write at a time, so a statement or
 * transaction that checks the acting login and acts cannot interleave with another.
 */
export class SqliteUserStore implements UserStore {
  private readonly sql;

  constructor(
    private readonly db: Database,
    private readonly lifetimes: LoginLifetimes = DEFAULT_LIFETIMES,
  ) {
    migrate(db, 'users', MIGRATIONS);
    this.sql = prepareStatements(db);
  }

  /** Runs work (in a transaction when it writes more than once); a busy or broken file is a 503. */
  private run<T>(work: () => T, transaction = false): Promise<T> {
    try {
      return Promise.resolve(
        whenFree(this.db, transaction ? () => this.db.transaction(work).immediate() : work),
      );
    } catch (err) {
      if (isUnavailable(err) || (err as { status?: number }).status === 503)
        return Promise.reject(new UserStoreUnavailableError(String((err as Error).message)));
      return Promise.reject(err);
    }
  }

  private live(now: number) {
    return { seenAfter: now - this.lifetimes.idleMs, createdAfter: now - this.lifetimes.maxAgeMs };
  }

  findByUsername(username: string) {
    return this.run(() => {
      const row = this.sql.byName.get(username);
      return row && toUser(row);
    });
  }

  create({ username, passwordHash, createdAt }: NewUser) {
    return this.run(() => {
      const row = this.sql.insertUser.get(username, passwordHash, createdAt);
      return row && toUser(row);
    });
  }

  async setPasswordHash(id: number, passwordHash: string) {
    await this.run(() => this.sql.setHash.run(passwordHash, id));
  }

  startLogin(login: NewLogin, maxPerUser: number) {
    const row: Login = { id: newLoginId(), lastSeenAt: login.createdAt, authAt: login.createdAt, ...login };
    const now = row.lastSeenAt;
    return this.run(() => {
      this.sql.insertLogin.run({
        id: row.id,
        user_id: row.userId,
        created_at: row.createdAt,
        last_seen_at: row.lastSeenAt,
        auth_at: row.authAt,
        device: row.device,
        ip: row.ip,
        persistent: row.persistent ? 1 : 0,
      });
      this.sql.deadOf.run({ userId: row.userId, ...this.live(now) });
      this.sql.pastCap.run(row.userId, row.id, maxPerUser - 1); // the new one is one of the cap
      return row;
    }, true);
  }

  findLogin(id: string, now: number) {
    return this.run(() => {
      const row = this.sql.login.get({ id, ...this.live(now) });
      if (!row) return undefined;
      const login = toLogin(row);
      if (login.lastSeenAt <= now - SEEN_EVERY_MS) this.sql.seen.run(now, id);
      return { login, user: toUser({ ...row, id: row.user_id, created_at: row.user_created_at }) };
    });
  }

  listLogins(userId: number, now: number) {
    return this.run(() => this.sql.list.all({ userId, ...this.live(now) }).map(toLogin));
  }

  async endLogin(id: string) {
    await this.run(() => this.sql.endOne.run(id));
  }

  /** Runs `act` only while the actor's login exists, all in one transaction. */
  private asActor<T>(actor: string, userId: number, act: () => T): Promise<T | undefined> {
    return this.run(() => (this.sql.own.get(actor, userId) ? act() : undefined), true);
  }

  endOtherLogin(actor: string, userId: number, target: string) {
    return this.asActor(actor, userId, () => this.sql.endOther.run(userId, target, actor).changes > 0);
  }

  endOtherLogins(actor: string, userId: number) {
    return this.asActor(actor, userId, () => this.sql.endOthers.run(userId, actor).changes);
  }

  changePassword(actor: string, userId: number, passwordHash: string) {
    return this.asActor(actor, userId, () => {
      this.sql.setHash.run(passwordHash, userId);
      return this.sql.endOthers.run(userId, actor).changes;
    });
  }

  confirmPassword(actor: string, now: number) {
    return this.run(() => this.sql.confirm.run(now, actor).changes > 0);
  }

  async deleteUser(actor: string, userId: number) {
    const done = await this.asActor(actor, userId, () => {
      this.sql.endAll.run(userId);
      return this.sql.deleteUser.run(userId).changes > 0;
    });
    return done === true;
  }

  usernamesOf(loginIds: string[]) {
    return this.run(
      () => new Map(this.sql.usernames.all(JSON.stringify(loginIds)).map((r) => [r.id, r.username])),
    );
  }

  pruneLogins(now: number) {
    // read first: an idle server with nothing to prune writes nothing
    return this.run(() =>
      this.sql.anyDead.get(this.live(now)) ? this.sql.prune.run(this.live(now)).changes : 0,
    );
  }
}

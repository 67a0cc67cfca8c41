import { randomBytes } from 'node:crypto';
import { type Row, type SQL, toLogin, toUser } from './sql';
import type { Login, LoginLifetimes, NewLogin, NewUser, UserStore } from './types';

/** One of the statements in sql.ts, and its values. */
export type Statement = [name: keyof typeof SQL, values: unknown[]];

/** Whose logins a transaction is on, and the acting login, if any, that must still exist. */
export type Scope = { userId: number; actor?: string };

/** What the store needs of SQLite or PostgreSQL. */
export interface UserDatabase {
  /** one statement's rows (a write's: what it RETURNs) */
  rows(...statement: Statement): Promise<Row[]>;
  /** the statements in one transaction: the last one's rows, or undefined (none run) if the actor is gone */
  transaction(scope: Scope, statements: Statement[]): Promise<Row[] | undefined>;
}

const SEEN_EVERY_MS = 60_000; // one write a minute at most: ordering by last seen is accurate to the minute

/** Users and their logins: the same statements on SQLite (sqlite.ts) and PostgreSQL (postgres.ts). */
export class SqlUserStore implements UserStore {
  constructor(
    private readonly db: UserDatabase,
    private readonly lifetimes: LoginLifetimes,
  ) {}

  /** LIVE's $1 and $2 at `now` */
  private live(now: number) {
    return [now - this.lifetimes.idleMs, now - this.lifetimes.maxAgeMs];
  }

  async findByUsername(username: string) {
    const [row] = await this.db.rows('findUser', [username]);
    return row && toUser(row);
  }

  async create({ username, passwordHash, createdAt }: NewUser) {
    const [row] = await this.db.rows('createUser', [username, passwordHash, createdAt]);
    return row && toUser(row);
  }

  async setPasswordHash(id: number, passwordHash: string) {
    await this.db.rows('setHash', [passwordHash, id]);
  }

  async startLogin(login: NewLogin, maxPerUser: number) {
    const id = randomBytes(16).toString('base64url'); // 22 characters; nothing to do with the session ID
    const row: Login = { lastSeenAt: login.createdAt, authAt: login.createdAt, ...login, id };
    const { userId, lastSeenAt: now } = row;
    await this.db.transaction({ userId }, [
      ['insertLogin', [id, userId, row.createdAt, now, row.authAt, row.device, row.ip, row.persistent]],
      ['deadOf', [...this.live(now), userId]],
      ['pastCap', [userId, id, maxPerUser - 1]], // the new one is one of the cap
    ]);
    return row;
  }

  async findLogin(id: string, now: number) {
    const [row] = await this.db.rows('findLogin', [...this.live(now), id]);
    if (!row) return undefined;
    const login = toLogin(row);
    if (login.lastSeenAt <= now - SEEN_EVERY_MS) await this.db.rows('seen', [now, id]);
    return { login, user: toUser({ ...row, id: row.user_id, created_at: row.user_created_at }) };
  }

  async listLogins(userId: number, now: number) {
    return (await this.db.rows('list', [...this.live(now), userId])).map(toLogin);
  }

  async endLogin(id: string) {
    await this.db.rows('endOne', [id]);
  }

  async endOtherLogin(actor: string, userId: number, target: string) {
    const ended = await this.db.transaction({ userId, actor }, [['endOther', [userId, target, actor]]]);
    return ended && ended.length > 0;
  }

  async endOtherLogins(actor: string, userId: number) {
    return (await this.db.transaction({ userId, actor }, [['endOthers', [userId, actor]]]))?.length;
  }

  async changePassword(actor: string, userId: number, passwordHash: string) {
    const ended = await this.db.transaction({ userId, actor }, [
      ['setHash', [passwordHash, userId]],
      ['endOthers', [userId, actor]],
    ]);
    return ended?.length;
  }

  async confirmPassword(actor: string, now: number) {
    return (await this.db.rows('confirm', [now, actor])).length > 0;
  }

  async deleteUser(actor: string, userId: number) {
    const deleted = await this.db.transaction({ userId, actor }, [
      ['endAll', [userId]], // SQLite enforces no foreign key, so no ON DELETE CASCADE, unless told to
      ['deleteUser', [userId]],
    ]);
    return (deleted?.length ?? 0) > 0;
  }

  async usernamesOf(loginIds: string[]) {
    const rows = await this.db.rows('usernames', [loginIds]);
    return new Map(rows.map((r) => [String(r.id), String(r.username)]));
  }

  async pruneLogins(now: number) {
    // read first: an idle server with nothing to prune writes nothing
    if ((await this.db.rows('anyDead', this.live(now))).length === 0) return 0;
    return (await this.db.rows('prune', this.live(now))).length;
  }
}

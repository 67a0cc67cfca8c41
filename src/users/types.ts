export interface User {
  id: number;
  username: string; // ASCII-lowercased; unique
  passwordHash: string; // self-describing, e.g. `scrypt$N$r$p$salt$hash`
  createdAt: number; // ms since epoch
}

export type NewUser = Omit<User, 'id'>;

/**
 * A login: one signed-in browser, a row the user owns (as the Rails authentication generator's
 * Session and better-auth's session table). The session holds only its id. Times in ms since epoch.
 */
export interface Login {
  id: string; // random, 128 bits or more; never the session ID nor derived from it
  userId: number;
  createdAt: number;
  lastSeenAt: number; // moved at most once a minute, so ordering by it is accurate to the minute
  authAt: number; // the last time a password was entered in this login (login, signup, confirm)
  device: string; // e.g. "Chrome 131 on Linux"
  ip: string;
  persistent: boolean; // "keep me signed in": a persistent cookie; otherwise a browser-session cookie
}

/** A new login: its id is made (random), authAt is its createdAt and so is lastSeenAt, unless given. */
export type NewLogin = Omit<Login, 'id' | 'lastSeenAt' | 'authAt'> & { lastSeenAt?: number };

/** A login is live while both its idle and its absolute lifetime are ahead. */
export interface LoginLifetimes {
  idleMs: number; // SESSION_MAX_AGE_SECONDS: since it was last seen
  maxAgeMs: number; // LOGIN_MAX_AGE_SECONDS: since it was created
}

/**
 * Where users and their logins live: SQLite for one process, PostgreSQL for several. Ids are never
 * reused. Every method that changes another login, the password or the account takes the acting
 * login's id (`actor`) and checks in the same statement or transaction that it still exists, so a
 * request loaded before its own login was ended cannot act; `undefined` means it was ended.
 */
export interface UserStore {
  findByUsername(username: string): Promise<User | undefined>;
  /** the new user, or undefined when the username is taken */
  create(user: NewUser): Promise<User | undefined>;
  /** replaces the stored hash at login (a rehash at a higher cost) */
  setPasswordHash(id: number, passwordHash: string): Promise<void>;

  /** a new live login; past `maxPerUser` live ones, the user's least recently seen end */
  startLogin(login: NewLogin, maxPerUser: number): Promise<Login>;
  /** the live login and its user, in one query; marks it seen (at most one write a minute) */
  findLogin(id: string, now: number): Promise<{ login: Login; user: User } | undefined>;
  /** the user's live logins, most recently seen first */
  listLogins(userId: number, now: number): Promise<Login[]>;
  /** a logout: the login's own row goes */
  endLogin(id: string): Promise<void>;
  /** ends one other login of the user: whether it existed */
  endOtherLogin(actor: string, userId: number, target: string): Promise<boolean | undefined>;
  /** ends every login of the user but the actor's: how many */
  endOtherLogins(actor: string, userId: number): Promise<number | undefined>;
  /** sets the new hash and ends every other login: how many ended */
  changePassword(actor: string, userId: number, passwordHash: string): Promise<number | undefined>;
  /** records a password entry: whether the login still exists */
  confirmPassword(actor: string, now: number): Promise<boolean>;
  /** deletes the user and every login: whether it was done */
  deleteUser(actor: string, userId: number): Promise<boolean>;
  /** the usernames of these logins, by login id (the /store page names the listed sessions' users) */
  usernamesOf(loginIds: string[]): Promise<Map<string, string>>;
  /** deletes logins past their lifetimes: how many */
  pruneLogins(now: number): Promise<number>;
}

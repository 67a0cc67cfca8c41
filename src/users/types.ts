export interface User {
  id: number;
  /** ASCII-lowercased; unique */
  username: string;
  /** self-describing, e.g. `scrypt$N$r$p$salt$hash` */
  passwordHash: string;
  /** ms since epoch */
  createdAt: number;
  /** session generation: sessions stamped with an older one are logged out (bumped by revocations) */
  generation: number;
}

export interface NewUser {
  username: string;
  passwordHash: string;
  createdAt: number;
}

/**
 * Where users live: SQLite on one machine, PostgreSQL for several. Ids are never reused, so a stale
 * session can never name a later account.
 */
export interface UserStore {
  findByUsername(username: string): Promise<User | undefined>;
  findById(id: number): Promise<User | undefined>;
  /** the new user, or undefined when the username is taken */
  create(user: NewUser): Promise<User | undefined>;
  /** replaces the stored hash (a password change, or a rehash at a higher cost) */
  setPasswordHash(id: number, passwordHash: string): Promise<void>;
  /** bumps the session generation, logging out every session stamped with the old one; the new value */
  bumpGeneration(id: number): Promise<number>;
  /** deletes the user; whether one was deleted */
  delete(id: number): Promise<boolean>;
}

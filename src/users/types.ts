export interface User {
  id: number;
  /** ASCII-lowercased; unique */
  username: string;
  /** self-describing, e.g. `scrypt$N$r$p$salt$hash` */
  passwordHash: string;
  /** ms since epoch */
  createdAt: number;
}

export interface NewUser {
  username: string;
  passwordHash: string;
  createdAt: number;
}

/**
 * Where users live. The app only needs these three calls, so any database can stand behind it;
 * instances on several machines need one they all share.
 */
export interface UserStore {
  findByUsername(username: string): Promise<User | undefined>;
  findById(id: number): Promise<User | undefined>;
  /** the new user, or undefined when the username is taken */
  create(user: NewUser): Promise<User | undefined>;
}

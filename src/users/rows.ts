import type { Login, User } from './types';

// rows as both databases return them: PostgreSQL's bigints arrive as strings, SQLite's booleans as 0 or 1

export interface UserRow {
  id: number | string;
  username: string;
  password_hash: string;
  created_at: number | string | null;
}

export interface LoginRow {
  id: string;
  user_id: number | string;
  created_at: number | string;
  last_seen_at: number | string;
  auth_at: number | string;
  device: string;
  ip: string;
  persistent: number | boolean;
}

// ids and times stay far below 2^53
export const toUser = (row: UserRow): User => ({
  id: Number(row.id),
  username: row.username,
  passwordHash: row.password_hash,
  createdAt: Number(row.created_at ?? 0),
});

export const toLogin = (row: LoginRow): Login => ({
  id: row.id,
  userId: Number(row.user_id),
  createdAt: Number(row.created_at),
  lastSeenAt: Number(row.last_seen_at),
  authAt: Number(row.auth_at),
  device: row.device,
  ip: row.ip,
  persistent: Boolean(row.persistent),
});

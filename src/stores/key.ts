import { hash } from 'node:crypto';

// the lock hashes a request's session ID before the store does (get, then set or touch): while the
// request holds its lock, the key is kept here, so it is hashed once per request, not three times
const held = new Map<string, { key: string; holders: number }>();

/**
 * The key a session is stored under: the SHA-256 of its ID, hex. Whoever reads the store (a backup,
 * a scan, a dump) gets keys no cookie can be made from.
 */
export function storeKey(sid: string): string {
  return held.get(sid)?.key ?? hash('sha256', sid, 'hex');
}

/**
 * storeKey(sid), remembered for every storeKey call until `drop()`: the lock holds it for the whole
 * request. Only IDs of requests in flight are kept, the same IDs their requests hold anyway.
 */
export function holdStoreKey(sid: string): { key: string; drop: () => void } {
  const kept = held.get(sid) ?? { key: hash('sha256', sid, 'hex'), holders: 0 };
  if (kept.holders++ === 0) held.set(sid, kept);
  let dropped = false;
  return {
    key: kept.key,
    drop() {
      if (dropped) return;
      dropped = true;
      if (--kept.holders === 0) held.delete(sid);
    },
  };
}

/** How many session IDs have their key held right now (for tests: none once requests are done). */
export const heldStoreKeys = () => held.size;

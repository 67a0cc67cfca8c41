import type { Config } from '../config';

/** Which store holds the sessions and where, as the inspector shows it; file paths only outside production. */
export function describeStore({ store, production }: Config): string {
  if (store.kind === 'memory') return 'memory: this process only';
  if (store.kind === 'sqlite') return production ? 'sqlite' : `sqlite: ${store.sqlitePath}`;
  return `redis: ${redactUrl(store.redisUrl)}`;
}

/** The Redis URL without its password (or user): enough to find the server, nothing to log in with. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return 'redis (URL not shown)';
  }
}

import type { Config } from '../config';

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

/** Which store holds the sessions and where, as the inspector shows it; file paths only outside production. */
export function describeStore(config: Config): string {
  const { store } = config;
  switch (store.kind) {
    case 'memory':
      return 'memory: this process only';
    case 'sqlite':
      return config.production ? 'sqlite' : `sqlite: ${store.sqlitePath}`;
    case 'redis':
      return `redis: ${redactUrl(store.redisUrl)}`;
  }
}

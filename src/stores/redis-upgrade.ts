import type { Logger } from '../logger';
import type { RedisSessionStore } from './redis';

/**
 * Once connected, moves the sessions the previous version stored under their plain IDs to their
 * hashes, so the per-user index holds them all. Goes with the plain-key fallback (docs/stores.md).
 */
export function moveLegacyOnceReady(store: RedisSessionStore, logger: Logger): void {
  store.client.once('ready', () =>
    store.moveLegacySessions().then(
      (moved) => void (moved > 0 && logger.info({ moved }, 'redis: sessions moved to hashed keys')),
      (err: Error) =>
        logger.warn(
          { err: { name: err.name, message: err.message } },
          'redis: moving plain-key sessions failed; each moves on its first read',
        ),
    ),
  );
}

import { hash } from 'node:crypto';

/**
 * The key a session is stored under: the SHA-256 of its ID, hex. Whoever reads the store (a backup,
 * a scan, a dump) gets keys no cookie can be made from.
 */
export function storeKey(sid: string): string {
  return hash('sha256', sid, 'hex');
}

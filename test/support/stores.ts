import { MemorySessionStore } from '../../src/stores/memory';
import type { SessionStore } from '../../src/stores/types';

/** The stores the per-user features run on in-process, each made fresh per test. */
export const indexedStores: [string, () => SessionStore][] = [
  ['memory', () => new MemorySessionStore({ maxSessions: 1000 })],
];

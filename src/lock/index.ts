export { claimedSessionId } from './claimed-id';
export { MemoryLock } from './memory';
export { serializeSessions } from './middleware';
export { RedisLock } from './redis';
export { SqliteLock } from './sqlite';
export { type Release, SessionBusyError, type SessionLock, SessionReplacedError } from './types';

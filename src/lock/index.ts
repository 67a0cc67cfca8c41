export { MemoryLock } from './memory';
export { serializeSessions } from './middleware';
export { RedisLock } from './redis';
export { claimedSessionId } from './session-id';
export { SqliteLock } from './sqlite';
export { type Release, SessionBusyError, type SessionLock, SessionReplacedError } from './types';

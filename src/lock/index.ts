export { MemoryLock } from './memory';
export { serializeSessions } from './middleware';
export { RedisLock } from './redis';
export { sessionIdFromCookie } from './session-id';
export { type Release, SessionBusyError, type SessionLock } from './types';

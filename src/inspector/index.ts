export type { Inspection } from './inspect';
export { inspect } from './inspect';
export { inspectRequests } from './middleware';

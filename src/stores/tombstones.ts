import { ExpiringKeys } from '../expiring-keys';

/**
 * Store keys of sessions just ended on purpose (sign out that device, everywhere), remembered for a
 * short while: a request of that session still in flight would otherwise write it back on its way out.
 */
export class Tombstones extends ExpiringKeys {}

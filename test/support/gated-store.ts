import type { SessionData } from 'express-session';
import { storeKey } from '../../src/stores/key';
import { MemorySessionStore } from '../../src/stores/memory';
import { deferred } from './deferred';

/**
 * A memory backend whose reads (or, with gateWrites, writes) of one session wait until the test
 * opens the gate: a slow store, on cue. `reached` resolves once a gated call has arrived. The
 * backend sees store keys: `reads` and `writes` hold those; readsOf/writesOf count by session ID.
 */
export class GatedStore extends MemorySessionStore {
  /** the session ID whose calls wait */
  gatedSid = '';
  /** gate writes of the session instead of reads */
  gateWrites = false;
  reads: string[] = [];
  writes: string[] = [];
  private readonly arrived = deferred();
  private readonly gate = deferred();
  /** resolves once a gated read (or write) has reached the store and is waiting */
  readonly reached = this.arrived.promise;

  open(): void {
    this.gate.resolve();
  }

  readsOf(sid: string): number {
    return this.reads.filter((key) => key === storeKey(sid)).length;
  }

  writesOf(sid: string): number {
    return this.writes.filter((key) => key === storeKey(sid)).length;
  }

  private gated(key: string, write: boolean): boolean {
    if (this.gatedSid === '' || key !== storeKey(this.gatedSid) || write !== this.gateWrites) return false;
    this.arrived.resolve();
    return true;
  }

  override get(key: string, cb: (err?: unknown, value?: SessionData | null) => void): void {
    this.reads.push(key);
    if (this.gated(key, false)) this.gate.promise.then(() => super.get(key, cb));
    else super.get(key, cb);
  }

  override set(key: string, session: SessionData, cb?: (err?: unknown) => void): void {
    this.writes.push(key);
    if (this.gated(key, true)) this.gate.promise.then(() => super.set(key, session, cb));
    else super.set(key, session, cb);
  }
}

import type { SessionData } from 'express-session';
import { MemorySessionStore } from '../../src/stores/memory';

/** A memory store whose reads (or writes) of one session wait until the test opens the gate: a slow store, on cue. */
export class GatedStore extends MemorySessionStore {
  gatedSid = '';
  /** gate writes of the session instead of reads */
  gateWrites = false;
  reads: string[] = [];
  writes: string[] = [];
  private opened: () => void = () => {};
  private gate = new Promise<void>((resolve) => {
    this.opened = resolve;
  });
  open() {
    this.opened();
  }
  override get(sid: string, cb: (err?: unknown, value?: SessionData | null) => void): void {
    this.reads.push(sid);
    if (sid === this.gatedSid && !this.gateWrites) this.gate.then(() => super.get(sid, cb));
    else super.get(sid, cb);
  }
  override set(sid: string, session: SessionData, cb?: (err?: unknown) => void): void {
    this.writes.push(sid);
    if (sid === this.gatedSid && this.gateWrites) this.gate.then(() => super.set(sid, session, cb));
    else super.set(sid, session, cb);
  }
}

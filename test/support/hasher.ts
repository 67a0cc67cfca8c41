import { createPasswordHasher, type PasswordHasher } from '../../src/login/password';
import { deferred } from './deferred';

/** The real (cheap) hasher, counting its hashes and verifies. */
export function countingHasher(): PasswordHasher & { hashes: number; verifies: number } {
  const real = createPasswordHasher({ cost: 1024, concurrency: 2 });
  const counter = {
    hashes: 0,
    verifies: 0,
    dummy: real.dummy,
    needsRehash: real.needsRehash,
    hash: (password: string) => {
      counter.hashes++;
      return real.hash(password);
    },
    verify: (stored: string, password: string) => {
      counter.verifies++;
      return real.verify(stored, password);
    },
  };
  return counter;
}

/**
 * The real (cheap) hasher, and holdNext(method): the next hash() or verify() waits until release(),
 * `reached` resolving when it is called. A request held after its checks and before it acts.
 */
export function holdableHasher() {
  const real = createPasswordHasher({ cost: 1024, concurrency: 2 });
  const holds: Partial<Record<'hash' | 'verify', { reached: () => void; go: Promise<void> }>> = {};
  const wait = async (method: 'hash' | 'verify') => {
    const hold = holds[method];
    delete holds[method];
    if (!hold) return;
    hold.reached();
    await hold.go;
  };
  const hasher: PasswordHasher = {
    dummy: real.dummy,
    needsRehash: real.needsRehash,
    async verify(stored, password) {
      await wait('verify');
      return real.verify(stored, password);
    },
    async hash(password) {
      await wait('hash');
      return real.hash(password);
    },
  };
  const holdNext = (method: 'hash' | 'verify') => {
    const reached = deferred();
    const go = deferred();
    holds[method] = { reached: reached.resolve, go: go.promise };
    return { reached: reached.promise, release: () => go.resolve() };
  };
  return { hasher, holdNext };
}

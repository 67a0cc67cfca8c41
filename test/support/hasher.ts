import { createPasswordHasher, type PasswordHasher } from '../../src/login/password';

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

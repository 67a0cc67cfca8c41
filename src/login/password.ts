import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { createSemaphore } from './semaphore';

type ScryptParams = { N: number; r: number; p: number };

const KEY_BYTES = 32;
const SALT_BYTES = 16;
const MAX_N = 2 ** 24; // a corrupt row must not make us allocate gigabytes

/**
 * How many hashes may wait when `concurrency` run: 16 each (at OWASP's cost a few seconds; longer would
 * answer clients that gave up), and never fewer than with two running, so fewer threads wait longer.
 */
export const hashQueueLength = (concurrency: number) => Math.max(32, 16 * concurrency);

// the callback form runs on libuv's thread pool, so the event loop keeps serving; scrypt needs about
// 128 * N * r bytes, and Node's default cap (32 MiB) is below OWASP's N = 2^17
const derive = (password: string, salt: Buffer, { N, r, p }: ScryptParams, keylen = KEY_BYTES) =>
  new Promise<Buffer>((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, keylen, { N, r, p, maxmem: 256 * N * r }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );

const encode = ({ N, r, p }: ScryptParams, salt: Buffer, key: Buffer) =>
  `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;

/** Splits `scrypt$N$r$p$salt$hash`; throws on anything else so a corrupt row fails loudly. */
export function parseHash(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } {
  const [algorithm, n, r, p, salt64, key64, ...rest] = stored.split('$');
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  const salt = Buffer.from(salt64 ?? '', 'base64');
  const key = Buffer.from(key64 ?? '', 'base64');
  const valid =
    algorithm === 'scrypt' &&
    rest.length === 0 &&
    Number.isInteger(params.N) &&
    params.N > 1 &&
    params.N <= MAX_N &&
    (params.N & (params.N - 1)) === 0 &&
    [params.r, params.p].every((x) => Number.isInteger(x) && x >= 1 && x <= 32) &&
    salt.length >= 8 &&
    key.length >= 16 &&
    key.length <= 128;
  if (!valid) throw new Error('unrecognised password hash format');
  return { params, salt, key };
}

export type PasswordHasher = ReturnType<typeof createPasswordHasher>;

/**
 * scrypt, stored with its parameters so they can be raised later (old hashes keep verifying with
 * theirs). At most `concurrency` hashes run at once and hashQueueLength() more wait, at most
 * `maxWaitMs`: past that BusyError (503), so a flood neither queues without bound nor outwaits its client.
 */
export function createPasswordHasher({
  cost,
  concurrency,
  maxWaitMs = 2000, // HASH_MAX_WAIT_MS's default
}: {
  cost: number;
  concurrency: number;
  maxWaitMs?: number;
}) {
  const params: ScryptParams = { N: cost, r: 8, p: 1 };
  const limit = createSemaphore(concurrency, hashQueueLength(concurrency), maxWaitMs);

  return {
    /** a well-formed hash of nobody's password, so an unknown user costs one verify like a known one */
    dummy: encode(params, randomBytes(SALT_BYTES), randomBytes(KEY_BYTES)),

    async hash(password: string, signal?: AbortSignal): Promise<string> {
      const salt = randomBytes(SALT_BYTES);
      return encode(params, salt, await limit(() => derive(password, salt, params), signal));
    },

    /** takes the same time whatever the answer */
    async verify(stored: string, password: string, signal?: AbortSignal): Promise<boolean> {
      const { params: theirs, salt, key } = parseHash(stored);
      const candidate = await limit(() => derive(password, salt, theirs, key.length), signal);
      return timingSafeEqual(candidate, key);
    },

    needsRehash(stored: string): boolean {
      const { params: theirs } = parseHash(stored);
      return theirs.N < params.N || theirs.r < params.r || theirs.p < params.p;
    },
  };
}

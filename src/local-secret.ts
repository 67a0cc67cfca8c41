import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Development only: a strong random secret kept in a git-ignored file, so sessions survive restarts
 * without anyone having to invent a secret. Returns it and whether it is new.
 */
export async function localSecret(path: string): Promise<{ secret: string; created: boolean }> {
  const secret = randomBytes(32).toString('base64url');
  await mkdir(dirname(path), { recursive: true });
  try {
    await writeFile(path, `${secret}\n`, { mode: 0o600, flag: 'wx' }); // never replace one kept before
    return { secret, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  // kept from an earlier start, or written a moment ago by a second instance starting with this one
  const kept = (await readFile(path, 'utf8')).trim();
  if (kept.length < 32) throw new Error(`${path} holds no usable secret (under 32 characters): delete it`);
  return { secret: kept, created: false };
}

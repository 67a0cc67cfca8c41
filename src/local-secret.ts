import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

async function readSecret(path: string): Promise<string | undefined> {
  try {
    const secret = (await readFile(path, 'utf8')).trim();
    if (secret.length < 32)
      throw new Error(`${path} holds no usable secret (under 32 characters): delete it`);
    return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Development only: a strong random secret kept in a git-ignored file, so sessions
 * survive restarts without anyone having to invent a secret. Returns it and whether it is new.
 */
export async function localSecret(path: string): Promise<{ secret: string; created: boolean }> {
  const existing = await readSecret(path);
  if (existing) return { secret: existing, created: false };
  const secret = randomBytes(32).toString('base64url');
  await mkdir(dirname(path), { recursive: true });
  try {
    await writeFile(path, `${secret}\n`, { mode: 0o600, flag: 'wx' }); // never replace another's
  } catch (err) {
    // a second instance starting at the same moment wrote it first: use theirs
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      return { secret: (await readSecret(path)) ?? '', created: false };
    throw err;
  }
  return { secret, created: true };
}

import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localSecret } from '../src/local-secret';
import { tempDir } from './support/files';

async function secretPath(): Promise<string> {
  return join(tempDir('secret-'), 'data', 'session-secret');
}

describe('localSecret', () => {
  it('creates a strong secret readable only by its owner, then keeps using it', async () => {
    const path = await secretPath();

    const first = await localSecret(path);
    const second = await localSecret(path);

    expect(first.created).toBe(true);
    expect(first.secret.length).toBeGreaterThanOrEqual(32);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(second).toEqual({ secret: first.secret, created: false });
  });

  it('gives two instances starting at once the same secret', async () => {
    const path = await secretPath();

    const results = await Promise.all([localSecret(path), localSecret(path), localSecret(path)]);

    const onDisk = (await readFile(path, 'utf8')).trim();
    expect(results.map((r) => r.secret)).toEqual([onDisk, onDisk, onDisk]);
  });

  it('refuses a file that holds no usable secret rather than sign with it', async () => {
    const path = await secretPath();
    await localSecret(path);
    await writeFile(path, 'short\n');

    await expect(localSecret(path)).rejects.toThrow(/no usable secret/);
  });
});

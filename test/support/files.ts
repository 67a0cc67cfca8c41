import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished, type TestContext } from 'vitest';
import { serviceAvailable } from './service';

/** A fresh temporary directory, removed when the test finishes. */
export function tempDir(prefix = 'test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => {
    makeMutable(dir);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/**
 * Makes files (and directories) immutable with `chattr +i`, which stops writes even by root, who
 * ignores chmod; undone by the tempDir cleanup. False when chattr is missing or the filesystem has
 * no such flag (tmpfs), so a test can fall back to a read-only connection.
 */
export function makeImmutable(...paths: string[]): boolean {
  const present = paths.filter((p) => existsSync(p));
  return spawnSync('chattr', ['+i', ...present]).status === 0;
}

/** makeImmutable, or skip the test with a printed reason (fail under CI=true) where it cannot be done. */
export function immutableOrSkip(ctx: TestContext, ...paths: string[]): void {
  if (makeImmutable(...paths)) return;
  serviceAvailable(ctx.task.name, 'chattr +i is not supported here (tmpfs, or no chattr)');
  ctx.skip('chattr +i is not supported here');
}

function makeMutable(dir: string): void {
  spawnSync('chattr', ['-R', '-i', dir], { stdio: 'ignore' }); // missing chattr: nothing was made immutable
}

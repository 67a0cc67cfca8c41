import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const readme = () => readFileSync(new URL('../README.md', import.meta.url), 'utf8').split('\n');

// the README is the newcomer's path: short, with the two commands first; the rest lives in docs/
describe('README.md', () => {
  it('stays at most 250 lines', () => {
    expect(readme().length).toBeLessThanOrEqual(250);
  });

  it('starts with the two commands in its first 10 lines', () => {
    const top = readme().slice(0, 10).join('\n');

    expect(top).toContain('npm install && npm start');
    expect(top).toContain('npm test');
  });

  it('links the workflow page and every doc it moved out', () => {
    const text = readme().join('\n');

    for (const link of [
      '/how-it-works',
      'docs/stores.md',
      'docs/login.md',
      'docs/lock-and-faults.md',
      'docs/limits-and-shutdown.md',
      'docs/operations.md',
      'bench/README.md',
    ])
      expect(text).toContain(link);
  });
});

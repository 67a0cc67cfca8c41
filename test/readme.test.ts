import { readdirSync, readFileSync } from 'node:fs';
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

  it('links the workflow page, the bench notes and every doc in docs/', () => {
    const text = readme().join('\n');
    const docs = readdirSync(new URL('../docs/', import.meta.url)).filter((f) => f.endsWith('.md'));

    expect(docs.length).toBeGreaterThan(3);
    const links = ['/how-it-works', 'bench/README.md', ...docs.map((doc) => `docs/${doc}`)];
    expect(links.filter((link) => !text.includes(link))).toEqual([]);
  });
});

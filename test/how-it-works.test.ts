import { existsSync, readFileSync } from 'node:fs';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { WORKFLOW_STEPS } from '../src/inspector/pages';
import { buildApp } from './helper';

describe('GET /how-it-works', () => {
  it('shows the workflow diagram and the same steps as a numbered list', async () => {
    const { app } = buildApp();

    const res = await request(app).get('/how-it-works').set('Accept', 'text/html').expect(200);

    expect(res.text).toContain('<img src="/workflow.svg"');
    expect(res.text.match(/<li>/g)).toHaveLength(WORKFLOW_STEPS.length);
    expect(res.text).toContain('<code>POST /login</code>, <code>src/login/routes.ts</code>');
  });

  it('names files that exist, so a reader can open each step', () => {
    const files = WORKFLOW_STEPS.map(([, , file]) => file).filter((file) => file !== 'the browser');

    expect(files.length).toBeGreaterThan(8);
    expect(files.filter((file) => !existsSync(new URL(`../${file}`, import.meta.url)))).toEqual([]);
  });

  it('is linked from the home page', async () => {
    const { app } = buildApp();

    const res = await request(app).get('/').set('Accept', 'text/html');

    expect(res.text).toContain('href="/how-it-works"');
  });
});

describe('GET /workflow.svg', () => {
  it('is an SVG with three lanes and every step numbered, styled without style attributes or elements', async () => {
    const { app } = buildApp();

    const res = await request(app).get('/workflow.svg').expect(200);
    const svg = res.body.toString();

    expect(res.type).toBe('image/svg+xml');
    for (const lane of ['Browser', 'Server', 'Session store']) expect(svg).toContain(`>${lane}</text>`);
    for (let n = 1; n <= WORKFLOW_STEPS.length; n++) expect(svg).toContain(`>${n}</text>`);
    expect(svg).not.toMatch(/<style|style=/); // the CSP allows only style-src 'self'
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('names the same files as the steps', () => {
    const svg = readFileSync(new URL('../src/assets/workflow.svg', import.meta.url), 'utf8');

    const shown = [...svg.matchAll(/>(src\/[^<]+)<\/text>/g)].map((m) => m[1]);
    const listed = WORKFLOW_STEPS.map(([, , file]) => file).filter((file) => file.startsWith('src/'));

    expect(shown).toEqual(listed);
  });
});

import request from 'supertest';
import { describe, expect, it, vi } from 'vitest';
import { buildApp } from './helper';
import { newSession } from './support/cookies';
import { storedSessions } from './support/inspector';

describe('GET /style.css', () => {
  it('serves the stylesheet as CSS that browsers may cache for a day', async () => {
    const { app } = buildApp();

    const res = await request(app).get('/style.css').expect(200);

    expect(res.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=86400');
    expect(res.headers.etag).toBeUndefined();
    expect(res.text).toContain('max-width: 40rem');
    expect(res.text).toContain('prefers-color-scheme: dark');
    expect(res.text).not.toMatch(/url\(|@import/); // no fonts, images or other files to fetch
  });

  it('creates no session and sets no cookie', async () => {
    const { app, backend } = buildApp();

    const res = await request(app).get('/style.css').set('Accept', 'text/css,*/*;q=0.1').expect(200);

    expect(res.headers['set-cookie']).toBeUndefined();
    expect(await storedSessions(backend)).toBe(0);
  });

  it('does not load the session of a browser that sends its cookie', async () => {
    const { app, store } = buildApp();
    const cookie = await newSession(app);
    const get = vi.spyOn(store, 'get');

    const res = await request(app).get('/style.css').set('Cookie', cookie).expect(200);

    expect(get).not.toHaveBeenCalled();
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('answers HEAD with the headers and no body', async () => {
    const { app } = buildApp();

    const res = await request(app).head('/style.css').expect(200);

    expect(res.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(res.text).toBeUndefined();
  });

  it('refuses POST with 405 and Allow: GET, HEAD', async () => {
    const { app } = buildApp();

    const res = await request(app).post('/style.css').expect(405);

    expect(res.headers.allow).toBe('GET, HEAD');
  });
});

describe('GET /favicon.svg', () => {
  it('serves the tab icon as a cacheable SVG without a session', async () => {
    const { app } = buildApp();

    const res = await request(app).get('/favicon.svg').buffer(true).expect(200);

    expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(res.headers['cache-control']).toBe('public, max-age=86400');
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(String(res.body)).toMatch(/^<svg [^>]*viewBox/);
    expect(String(res.body)).not.toMatch(/<script|href=/); // an image, nothing it could load or run
  });
});

describe('GET /increment', () => {
  it('links the stylesheet from the page head, with no inline style', async () => {
    const { app } = buildApp();

    const res = await request(app).get('/increment').set('Accept', 'text/html').expect(200);

    expect(res.text).toMatch(/<head>[\s\S]*<link rel="stylesheet" href="\/style.css">[\s\S]*<\/head>/);
    expect(res.text).not.toMatch(/<style|\sstyle=/i);
  });
});

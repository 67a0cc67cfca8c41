import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { sessionIdFromCookie } from '../src/lock';
import { buildApp, sessionCookie, sessionIdOf, signedSessionId, TEST_SECRET } from './helper';

describe('sessionIdFromCookie', () => {
  it('reads the same session ID express-session stored', async () => {
    const { app } = buildApp();
    const cookie = sessionCookie(await request(app).get('/increment')) ?? '';

    const sid = sessionIdFromCookie(`other=1; ${cookie}`, 'sid', [TEST_SECRET]);

    expect(sid).toBe(sessionIdOf(cookie));
  });

  it('verifies with any of the rotated secrets', () => {
    const header = `sid=${encodeURIComponent(signedSessionId('abc', 'old-secret'))}`;

    expect(sessionIdFromCookie(header, 'sid', ['new-secret', 'old-secret'])).toBe('abc');
  });

  it.each([
    ['no header', undefined],
    ['another cookie only', 'x=1'],
    ['an unsigned value', 'sid=abc'],
    ['a bad signature', `sid=${signedSessionId('abc', 'wrong-secret')}`],
    ['a bad % escape', 'sid=s%3Aabc.%zz'],
    ['a bare semicolon', ';'],
  ])('gives no ID for %s', (_name, header) => {
    expect(sessionIdFromCookie(header, 'sid', [TEST_SECRET])).toBeUndefined();
  });

  it('takes the first of two cookies with the name, as express-session does', () => {
    const header = `sid=${signedSessionId('first', TEST_SECRET)}; sid=${signedSessionId('second', TEST_SECRET)}`;

    expect(sessionIdFromCookie(header, 'sid', [TEST_SECRET])).toBe('first');
  });
});

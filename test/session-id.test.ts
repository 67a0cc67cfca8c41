import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { claimedSessionId } from '../src/lock/middleware';
import { buildApp, cookieFrom, sessionIdOf, signedSessionId, TEST_SECRET } from './helper';

const SID = 'AbCdEfGhIjKlMnOpQrStUvWxYz012-_9'; // 32 base64url characters, like express-session's own

describe('claimedSessionId', () => {
  it('reads the same session ID express-session stored', async () => {
    const { app } = buildApp();
    const cookie = cookieFrom(await request(app).get('/increment').expect(200));

    const sid = claimedSessionId(`other=1; ${cookie}`, 'sid');

    expect(sid).toBe(sessionIdOf(cookie));
  });

  it('names the ID whichever secret signed it, so rotated cookies share one lock', () => {
    const header = `sid=${encodeURIComponent(signedSessionId(SID, 'old-secret'))}`;

    expect(claimedSessionId(header, 'sid')).toBe(SID);
  });

  it.each([
    ['no header', undefined],
    ['another cookie only', 'x=1'],
    ['an unsigned value', `sid=${SID}`],
    ['an ID of the wrong length', `sid=${signedSessionId('abc', TEST_SECRET)}`],
    ['an ID with other characters', `sid=${signedSessionId(`${SID.slice(1)}!`, TEST_SECRET)}`],
    ['no signature', `sid=s:${SID}`],
    ['a bad % escape', 'sid=s%3Aabc.%zz'],
    ['a bare semicolon', ';'],
  ])('gives no ID for %s', (_name, header) => {
    expect(claimedSessionId(header, 'sid')).toBeUndefined();
  });

  it('takes the first of two cookies with the name, as express-session does', () => {
    const second = SID.replace('A', 'B');
    const header = `sid=${signedSessionId(SID, TEST_SECRET)}; sid=${signedSessionId(second, TEST_SECRET)}`;

    expect(claimedSessionId(header, 'sid')).toBe(SID);
  });
});

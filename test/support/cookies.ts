import request, { type Response } from 'supertest';
import { expect } from 'vitest';
import { cookieFrom } from '../helper';
import { PASSWORD } from './accounts';

type App = Parameters<typeof request>[0];

/** A new browser's first visit: GET /increment answers 200; the session cookie it set (`sid=…`). */
export async function newSession(app: App): Promise<string> {
  return cookieFrom(await request(app).get('/increment').expect(200));
}

/** Signs up `username` (201); the logged-in session's cookie. For a cookie jar, see signUpAgent. */
export async function signUpCookie(app: App, username = 'alice', password = PASSWORD): Promise<string> {
  return cookieFrom(await request(app).post('/signup').send({ username, password }).expect(201));
}

/** Logs `username` in (200) as one more browser; that session's cookie. For a cookie jar, see logInAgent. */
export async function logInCookie(app: App, username = 'alice', password = PASSWORD): Promise<string> {
  return cookieFrom(await request(app).post('/login').send({ username, password }).expect(200));
}

/** For supertest's .expect(): the response clears cookie `name` (empty, expired in 1970). */
export const shouldClearCookie =
  (name = 'sid') =>
  (res: Response) => {
    expect(setCookieLine(res, name)).toMatch(new RegExp(`^${name}=;.*Expires=Thu, 01 Jan 1970`));
  };

/** The whole Set-Cookie line for `name`, attributes included, or undefined. */
export function setCookieLine(res: Response, name = 'sid'): string | undefined {
  const header = res.headers['set-cookie'] as unknown as string[] | undefined;
  return header?.find((c) => c.startsWith(`${name}=`));
}

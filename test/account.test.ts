import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from './helper';
import { isLoggedIn, logInAgent, otherHandle, PASSWORD, signUpAgent } from './support/accounts';
import { shouldClearCookie } from './support/cookies';
import { holdableHasher } from './support/hasher';
import { asBrowser } from './support/http';
import { inProcessBackends } from './support/stores';

describe.each(inProcessBackends)('POST /account/delete (%s store)', (_name, makeBackend) => {
  it('deletes the user and ends every login; the name can be signed up again, under a new id', async () => {
    const { app, users } = buildApp({ backend: makeBackend() });
    const alice = await signUpAgent(app);
    const other = await logInAgent(app);
    const oldId = (await users.findByUsername('alice'))?.id ?? 0;

    const res = await alice
      .post('/account/delete')
      .send({ password: PASSWORD })
      .expect(200)
      .expect(shouldClearCookie())
      .expect('Clear-Site-Data', '"cache"');

    expect(res.body).toEqual({ message: 'Account deleted' });
    expect(await isLoggedIn(alice)).toBe(false);
    expect(await isLoggedIn(other)).toBe(false);
    expect(await users.findByUsername('alice')).toBeUndefined();
    expect(await users.listLogins(oldId, Date.now())).toEqual([]);
    const again = await signUpAgent(app, 'alice', 'a different passphrase');
    expect((await users.findByUsername('alice'))?.id).toBeGreaterThan(oldId);
    expect(await isLoggedIn(again)).toBe(true);
  });
});

describe('POST /account/delete', () => {
  it('needs the password however fresh the login: 403 without it, 401 with a wrong one', async () => {
    const { app, users } = buildApp();
    const alice = await signUpAgent(app);
    const before = await users.findByUsername('alice');

    const missing = await alice.post('/account/delete').send({});
    const wrong = await alice.post('/account/delete').send({ password: 'not my password' });
    const page = await asBrowser(alice.post('/account/delete')).send({});

    expect(missing.status).toBe(403);
    expect(missing.body).toEqual({ error: 'Confirm your password' });
    expect(wrong.status).toBe(401);
    expect(page.text).toContain('action="/account/delete"');
    expect(await users.findByUsername('alice')).toEqual(before);
    expect(await isLoggedIn(alice)).toBe(true);
  });

  it('deletes nothing for a login ended on another device while its password was being checked: 401', async () => {
    const { hasher, holdNext } = holdableHasher();
    const { app, users } = buildApp({ hasher });
    const a = await signUpAgent(app);
    const b = await logInAgent(app);
    const before = await users.findByUsername('alice');
    const hold = holdNext('verify');

    const deleting = b
      .post('/account/delete')
      .send({ password: PASSWORD })
      .then((res) => res);
    await hold.reached;
    await a.post(`/sessions/${await otherHandle(a)}/revoke`).expect(200);
    hold.release();
    const res = await deleting;

    expect([res.status, res.body]).toEqual([401, { error: 'Login required' }]);
    expect(await users.findByUsername('alice')).toEqual(before);
    expect(await isLoggedIn(a)).toBe(true);
  });

  it('answers the profile page’s form with 303 home', async () => {
    const { app } = buildApp();
    const alice = await signUpAgent(app);

    const res = await asBrowser(alice.post('/account/delete')).send({ password: PASSWORD });

    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
  });

  it('refuses a cross-origin delete', async () => {
    const { app, users } = buildApp();
    const alice = await signUpAgent(app);
    const before = await users.findByUsername('alice');

    const res = await alice
      .post('/account/delete')
      .set('Sec-Fetch-Site', 'cross-site')
      .send({ password: PASSWORD });

    expect(res.status).toBe(403);
    expect(await users.findByUsername('alice')).toEqual(before);
  });
});

describe('GET /profile', () => {
  it('links to /sessions and /password and holds the delete form behind the password', async () => {
    const { app } = buildApp();
    const alice = await signUpAgent(app);

    const res = await alice.get('/profile').set('Accept', 'text/html').expect(200);

    expect(res.text).toContain('<a href="/sessions">');
    expect(res.text).toContain('<a href="/password">');
    expect(res.text).toMatch(
      /<form method="post" action="\/account\/delete">\s*<p><label>Password <input type="password" name="password" required/,
    );
  });
});

describe('GET /login and /signup', () => {
  it('shows the forms with a "Keep me signed in" checkbox', async () => {
    const { app } = buildApp();

    for (const path of ['/login', '/signup']) {
      const res = await request(app).get(path).set('Accept', 'text/html');
      expect(res.text).toContain('<input type="checkbox" name="remember" value="1"> Keep me signed in');
    }
  });
});

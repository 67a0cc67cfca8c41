import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from './helper';
import { isLoggedIn, loggedIn, PASSWORD, signedUp } from './support/accounts';
import { shouldClearCookie } from './support/cookies';
import { asBrowser } from './support/http';
import { indexedStores } from './support/stores';

describe.each(indexedStores)('POST /account/delete (%s store)', (_name, makeStore) => {
  it('deletes the user and ends every session; the name can be signed up again, under a new id', async () => {
    const { app, users, store } = buildApp({ store: makeStore() });
    const alice = await signedUp(app);
    const other = await loggedIn(app);
    const oldId = (await users.findByUsername('alice'))?.id ?? 0;

    const res = await alice
      .post('/account/delete')
      .send({ password: PASSWORD })
      .expect(200)
      .expect(shouldClearCookie());

    expect(res.body).toEqual({ message: 'Account deleted' });
    expect(await isLoggedIn(alice)).toBe(false);
    expect(await isLoggedIn(other)).toBe(false);
    expect(await users.findByUsername('alice')).toBeUndefined();
    expect(await store.listByUser(oldId)).toEqual([]);
    const again = await signedUp(app, 'alice', 'a different passphrase');
    expect((await users.findByUsername('alice'))?.id).toBeGreaterThan(oldId);
    expect(await isLoggedIn(again)).toBe(true);
  });
});

describe('POST /account/delete', () => {
  it('needs the password however fresh the login: 403 without it, 401 with a wrong one', async () => {
    const { app, users } = buildApp();
    const alice = await signedUp(app);

    const missing = await alice.post('/account/delete').send({});
    const wrong = await alice.post('/account/delete').send({ password: 'not my password' });
    const page = await asBrowser(alice.post('/account/delete')).send({});

    expect(missing.status).toBe(403);
    expect(missing.body).toEqual({ error: 'Confirm your password' });
    expect(wrong.status).toBe(401);
    expect(page.text).toContain('action="/account/delete"');
    expect(await users.findByUsername('alice')).toBeDefined();
    expect(await isLoggedIn(alice)).toBe(true);
  });

  it('answers the profile page’s form with 303 home', async () => {
    const { app } = buildApp();
    const alice = await signedUp(app);

    const res = await asBrowser(alice.post('/account/delete')).send({ password: PASSWORD });

    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
  });

  it('refuses a cross-origin delete', async () => {
    const { app, users } = buildApp();
    const alice = await signedUp(app);

    const res = await alice
      .post('/account/delete')
      .set('Sec-Fetch-Site', 'cross-site')
      .send({ password: PASSWORD });

    expect(res.status).toBe(403);
    expect(await users.findByUsername('alice')).toBeDefined();
  });
});

describe('GET /profile', () => {
  it('links to /sessions and /password and holds the delete form behind the password', async () => {
    const { app } = buildApp();
    const alice = await signedUp(app);

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

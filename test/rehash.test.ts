import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createPasswordHasher } from '../src/login/password';
import { openDatabase } from '../src/sqlite/database';
import { SqliteUserStore } from '../src/users/sqlite';
import { buildApp } from './helper';
import { PASSWORD } from './support/accounts';

/** An app at SCRYPT_COST=1024 (the test config) whose one user was hashed at `cost`. */
async function appWithUserHashedAt(cost: number) {
  const users = new SqliteUserStore(openDatabase(':memory:'));
  const passwordHash = await createPasswordHasher({ cost, concurrency: 1 }).hash(PASSWORD);
  const user = await users.create({ username: 'ada', passwordHash, createdAt: 0 });
  if (!user) throw new Error('unreachable');
  const { app } = buildApp({ users });
  const storedHash = async () => (await users.findByUsername('ada'))?.passwordHash ?? '';
  return { app, users, storedHash };
}

describe('POST /login after SCRYPT_COST was raised', () => {
  it('rehashes the password of a user hashed at a lower cost, and the new hash still verifies', async () => {
    const { app, storedHash } = await appWithUserHashedAt(512);

    await request(app).post('/login').send({ username: 'ada', password: PASSWORD }).expect(200);

    expect(await storedHash()).toMatch(/^scrypt\$1024\$8\$1\$/);
    await request(app).post('/login').send({ username: 'ada', password: PASSWORD }).expect(200);
  });

  it('leaves the hash alone on a wrong password', async () => {
    const { app, storedHash } = await appWithUserHashedAt(512);
    const before = await storedHash();

    await request(app).post('/login').send({ username: 'ada', password: 'wrong-password' }).expect(401);

    expect(await storedHash()).toBe(before);
  });

  it('leaves a hash at the current cost alone', async () => {
    const { app, storedHash } = await appWithUserHashedAt(1024);
    const before = await storedHash();

    await request(app).post('/login').send({ username: 'ada', password: PASSWORD }).expect(200);

    expect(await storedHash()).toBe(before);
  });

  it('still logs in when the new hash cannot be stored; the next login tries again', async () => {
    const { app, users, storedHash } = await appWithUserHashedAt(512);
    users.setPasswordHash = () => Promise.reject(new Error('disk full'));

    await request(app).post('/login').send({ username: 'ada', password: PASSWORD }).expect(200);

    expect(await storedHash()).toMatch(/^scrypt\$512\$/);
  });
});

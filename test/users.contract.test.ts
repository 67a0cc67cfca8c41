import { describe, expect, it, onTestFinished } from 'vitest';
import { SqliteUserStore } from '../src/users/sqlite';
import type { Login, NewLogin, NewUser, User, UserStore } from '../src/users/types';
import { createDatabase, readyPostgresStore, usePostgres } from './support/postgres';
import { tempDatabase } from './support/stores';

// short lifetimes, each its own length, so a test can tell which one ended a login
const LIFETIMES = { idleMs: 3_600_000, maxAgeMs: 8 * 3_600_000 };
const MINUTE = 60_000;
const T = Date.parse('2026-12-01T08:00:00Z');
const LOGIN_ID = /^[A-Za-z0-9_-]{22}$/;
const CAP = 20;

/** Two stores on one fresh database, as two instances have them (SQLite serves one process: one store). */
interface Opened {
  users: UserStore;
  other: UserStore;
}

async function openSqlite(): Promise<Opened> {
  const users = new SqliteUserStore(tempDatabase('users-').db, LIFETIMES);
  return { users, other: users };
}

const { available: hasPostgres, server: postgres } = usePostgres('user store contract (PostgreSQL)');

async function openPostgres(): Promise<Opened> {
  const url = await createDatabase(postgres());
  // both migrate at once on an empty database: the advisory lock keeps them from racing
  const [users, other] = await Promise.all([1, 2].map(() => readyPostgresStore(url, 1000, LIFETIMES)));
  if (!users || !other) throw new Error('no store');
  onTestFinished(async () => void (await Promise.all([users.close(), other.close()])));
  return { users, other };
}

const backends = [
  { name: 'SQLite', open: openSqlite, skip: false },
  { name: 'PostgreSQL', open: openPostgres, skip: !hasPostgres },
];

const alice: NewUser = { username: 'alice', passwordHash: 'scrypt$hash-a', createdAt: T - 86_400_000 };

/** A login of `userId` started at `at`, from a Chrome on Linux; `extra` overrides any field. */
const newLogin = (userId: number, at = T, extra: Partial<NewLogin> = {}): NewLogin => ({
  userId,
  createdAt: at,
  device: 'Chrome 131 on Linux',
  ip: '203.0.113.7',
  persistent: false,
  ...extra,
});

async function created(users: UserStore, user: NewUser = alice): Promise<User> {
  const made = await users.create(user);
  if (!made) throw new Error(`${user.username} was taken`);
  return made;
}

/** The ids of the user's live logins at `now`, most recently seen first. */
const liveIds = async (users: UserStore, userId: number, now = T) =>
  (await users.listLogins(userId, now)).map((l) => l.id);

describe.each(backends)('UserStore on $name', ({ open, skip }) => {
  /** The store, alice in it, and `n` logins of hers started a second apart from T (the last newest). */
  async function withLogins(n: number) {
    const opened = await open();
    const user = await created(opened.users);
    const logins: Login[] = [];
    for (let i = 0; i < n; i++)
      logins.push(await opened.users.startLogin(newLogin(user.id, T + i * 1000), CAP));
    return { ...opened, user, logins, ids: logins.map((l) => l.id) };
  }

  describe.skipIf(skip)('users', () => {
    it('creates a user and finds it by name; nothing for an unknown name', async () => {
      const { users } = await open();

      const user = await users.create(alice);

      expect(user).toEqual({ id: expect.any(Number), ...alice });
      expect(await users.findByUsername('alice')).toEqual(user);
      expect(await users.findByUsername('nobody')).toBeUndefined();
    });

    it('gives one user and undefined to two instances racing for one name', async () => {
      const { users, other } = await open();

      const results = await Promise.all([
        users.create(alice),
        other.create({ ...alice, passwordHash: 'scrypt$hash-b' }),
      ]);

      const winners = results.filter((r) => r !== undefined);
      expect(winners).toHaveLength(1);
      expect(results.filter((r) => r === undefined)).toHaveLength(1);
      expect(await other.findByUsername('alice')).toEqual(winners[0]);
    });

    it('gives exactly one user to many concurrent signups of one name', async () => {
      const { users } = await open();

      const results = await Promise.all(Array.from({ length: 8 }, () => users.create(alice)));

      expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    });

    it('replaces the password hash, seen by the other instance', async () => {
      const { users, other } = await open();
      const user = await created(users);

      await users.setPasswordHash(user.id, 'scrypt$new');

      expect(await other.findByUsername('alice')).toEqual({ ...user, passwordHash: 'scrypt$new' });
    });

    it('never hands a deleted user’s id to a later signup, even of the same name', async () => {
      const { users } = await open();
      await created(users);
      const bob = await created(users, { ...alice, username: 'bob' });
      const bobs = await users.startLogin(newLogin(bob.id), CAP);
      expect(await users.deleteUser(bobs.id, bob.id)).toBe(true);

      const again = await created(users, { ...alice, username: 'bob' });

      expect(again.id).toBeGreaterThan(bob.id);
    });
  });

  describe.skipIf(skip)('startLogin and findLogin', () => {
    it('starts a live login under a new 22-character random id, seen and authenticated at its start', async () => {
      const { users, user } = await withLogins(0);

      const first = await users.startLogin(newLogin(user.id, T, { persistent: true }), CAP);
      const second = await users.startLogin(newLogin(user.id, T), CAP);

      expect(first).toEqual({
        id: expect.stringMatching(LOGIN_ID),
        userId: user.id,
        createdAt: T,
        lastSeenAt: T,
        authAt: T,
        device: 'Chrome 131 on Linux',
        ip: '203.0.113.7',
        persistent: true,
      });
      expect(second.id).toMatch(LOGIN_ID);
      expect(second.id).not.toBe(first.id);
      expect((await users.findLogin(first.id, T))?.login).toEqual(first);
    });

    it('finds a login and its user in one call, from the other instance too', async () => {
      const { other, user, logins, ids } = await withLogins(1);

      const found = await other.findLogin(ids[0] as string, T + 1000);

      expect(found).toEqual({ login: logins[0], user });
    });

    it('finds nothing for an unknown id', async () => {
      const { users } = await withLogins(1);

      expect(await users.findLogin('A'.repeat(22), T)).toBeUndefined();
    });

    it('finds nothing once the login has been idle for idleMs, and finds it a millisecond before', async () => {
      const { users, ids } = await withLogins(1);
      const [id] = ids as [string];

      const dead = await users.findLogin(id, T + LIFETIMES.idleMs);
      const justBefore = await users.findLogin(id, T + LIFETIMES.idleMs - 1);

      expect(dead).toBeUndefined();
      expect(justBefore?.login.id).toBe(id);
    });

    it('finds nothing maxAgeMs after the login started, however recently it was seen', async () => {
      const { users, ids } = await withLogins(1);
      const [id] = ids as [string];
      // seen every half hour, well within the idle lifetime
      for (let at = T + 30 * MINUTE; at < T + LIFETIMES.maxAgeMs; at += 30 * MINUTE)
        expect((await users.findLogin(id, at))?.login.id).toBe(id);

      const justBefore = await users.findLogin(id, T + LIFETIMES.maxAgeMs - 1);
      const dead = await users.findLogin(id, T + LIFETIMES.maxAgeMs);

      expect(justBefore?.login.id).toBe(id);
      expect(dead).toBeUndefined();
    });

    it('marks the login seen at most once a minute', async () => {
      const { users, user, ids } = await withLogins(1);
      const [id] = ids as [string];
      const lastSeen = async () => (await users.listLogins(user.id, T + 5 * MINUTE))[0]?.lastSeenAt;

      await users.findLogin(id, T + MINUTE - 1);
      const withinTheMinute = await lastSeen();
      await users.findLogin(id, T + MINUTE);
      const aMinuteLater = await lastSeen();
      await users.findLogin(id, T + 2 * MINUTE - 1);
      const withinTheNext = await lastSeen();

      expect([withinTheMinute, aMinuteLater, withinTheNext]).toEqual([T, T + MINUTE, T + MINUTE]);
    });

    it('keeps a login seen within the idle lifetime alive past its first idleMs', async () => {
      const { users, ids } = await withLogins(1);
      const [id] = ids as [string];

      await users.findLogin(id, T + LIFETIMES.idleMs - MINUTE);

      expect((await users.findLogin(id, T + LIFETIMES.idleMs + MINUTE))?.login.id).toBe(id);
    });
  });

  describe.skipIf(skip)('listLogins', () => {
    it('lists the user’s live logins, most recently seen first', async () => {
      const { users, user, ids } = await withLogins(3);
      const [first, second, third] = ids as [string, string, string];
      await users.findLogin(first, T + 2 * MINUTE); // the first, seen again, is now the most recent

      expect(await liveIds(users, user.id, T + 3 * MINUTE)).toEqual([first, third, second]);
    });

    it('leaves out dead logins and other users’ logins', async () => {
      const { users, user } = await withLogins(0);
      const bob = await created(users, { ...alice, username: 'bob' });
      const now = T + LIFETIMES.maxAgeMs;
      const idle = await users.startLogin(
        newLogin(user.id, now - LIFETIMES.idleMs - 1000, { lastSeenAt: now - LIFETIMES.idleMs }),
        CAP,
      );
      const old = await users.startLogin(
        newLogin(user.id, now - LIFETIMES.maxAgeMs, { lastSeenAt: now - 1000 }),
        CAP,
      );
      const live = await users.startLogin(newLogin(user.id, now - 1000), CAP);
      await users.startLogin(newLogin(bob.id, now - 1000), CAP);

      const listed = await liveIds(users, user.id, now);

      expect(listed).toEqual([live.id]);
      expect(listed).not.toContain(idle.id);
      expect(listed).not.toContain(old.id);
    });
  });

  describe.skipIf(skip)('the per-user cap', () => {
    it('ends the user’s least recently seen login past the cap, not the oldest', async () => {
      const { users, user, ids } = await withLogins(2);
      const [first, second] = ids as [string, string];
      const bob = await created(users, { ...alice, username: 'bob' });
      const bobs = await users.startLogin(newLogin(bob.id, T), 2);
      await users.findLogin(first, T + 2 * MINUTE); // the second is now the least recently seen

      const third = await users.startLogin(newLogin(user.id, T + 3 * MINUTE), 2);

      expect(await liveIds(users, user.id, T + 3 * MINUTE)).toEqual([third.id, first]);
      expect(await users.findLogin(second, T + 3 * MINUTE)).toBeUndefined();
      expect(await liveIds(users, bob.id, T + 3 * MINUTE)).toEqual([bobs.id]); // another user's are not counted
    });

    it('never ends the login being started, even at a cap of one and at the same moment', async () => {
      const { users, user, ids } = await withLogins(1);

      const second = await users.startLogin(newLogin(user.id, T), 1);

      expect(await liveIds(users, user.id, T)).toEqual([second.id]);
      expect(await users.findLogin(ids[0] as string, T)).toBeUndefined();
    });
  });

  describe.skipIf(skip)('actions by a login', () => {
    it('ends the login’s own row at logout, and only that one', async () => {
      const { users, user, ids } = await withLogins(2);

      await users.endLogin(ids[0] as string);

      expect(await liveIds(users, user.id)).toEqual([ids[1]]);
    });

    it('ends one other login of the same user: true, then false for one that is gone', async () => {
      const { users, other, user, ids } = await withLogins(3);
      const [actor, target, kept] = ids as [string, string, string];

      const ended = await users.endOtherLogin(actor, user.id, target);
      const again = await other.endOtherLogin(actor, user.id, target);

      expect([ended, again]).toEqual([true, false]);
      expect((await liveIds(users, user.id)).sort()).toEqual([actor, kept].sort());
    });

    it('ends neither itself nor another user’s login through endOtherLogin', async () => {
      const { users, user, ids } = await withLogins(1);
      const [actor] = ids as [string];
      const bob = await created(users, { ...alice, username: 'bob' });
      const bobs = await users.startLogin(newLogin(bob.id), CAP);

      const itself = await users.endOtherLogin(actor, user.id, actor);
      const bobsOne = await users.endOtherLogin(actor, user.id, bobs.id);
      const asBob = await users.endOtherLogin(actor, bob.id, bobs.id); // an actor speaks for its own user only

      expect([itself, bobsOne, asBob]).toEqual([false, false, undefined]);
      expect(await liveIds(users, user.id)).toEqual([actor]);
      expect(await liveIds(users, bob.id)).toEqual([bobs.id]);
    });

    it('ends every other login of the user and says how many', async () => {
      const { users, user, ids } = await withLogins(3);
      const bob = await created(users, { ...alice, username: 'bob' });
      const bobs = await users.startLogin(newLogin(bob.id), CAP);
      const actor = ids[2] as string;

      const ended = await users.endOtherLogins(actor, user.id);
      const again = await users.endOtherLogins(actor, user.id);

      expect([ended, again]).toEqual([2, 0]);
      expect(await liveIds(users, user.id)).toEqual([actor]);
      expect(await liveIds(users, bob.id)).toEqual([bobs.id]);
    });

    it('changes the password and ends every other login: how many', async () => {
      const { users, other, user, ids } = await withLogins(3);
      const [actor] = ids as [string];

      const ended = await users.changePassword(actor, user.id, 'scrypt$new');

      expect(ended).toBe(2);
      expect((await other.findByUsername('alice'))?.passwordHash).toBe('scrypt$new');
      expect(await liveIds(other, user.id)).toEqual([actor]);
    });

    it('records a password entry on the login: true, false once the login is gone', async () => {
      const { users, ids } = await withLogins(1);
      const [id] = ids as [string];

      const confirmed = await users.confirmPassword(id, T + 5 * MINUTE);
      const authAt = (await users.findLogin(id, T + 5 * MINUTE))?.login.authAt;
      await users.endLogin(id);
      const afterEnd = await users.confirmPassword(id, T + 6 * MINUTE);

      expect([confirmed, authAt, afterEnd]).toEqual([true, T + 5 * MINUTE, false]);
    });

    it('deletes the user with every login of theirs, and no one else’s', async () => {
      const { users, other, user, ids } = await withLogins(3);
      const bob = await created(users, { ...alice, username: 'bob' });
      const bobs = await users.startLogin(newLogin(bob.id), CAP);

      const deleted = await users.deleteUser(ids[0] as string, user.id);

      expect(deleted).toBe(true);
      expect(await other.findByUsername('alice')).toBeUndefined();
      for (const id of ids) expect(await other.findLogin(id, T)).toBeUndefined();
      expect(await liveIds(other, user.id)).toEqual([]);
      expect(await other.findLogin(bobs.id, T)).toEqual({ login: bobs, user: bob });
    });
  });

  describe.skipIf(skip)('an action whose own login is gone', () => {
    /** Alice with three logins, the first (the actor) already ended by another device. */
    async function actorGone() {
      const opened = await withLogins(3);
      const [actor, ...others] = opened.ids as [string, string, string];
      await opened.other.endOtherLogin(others[0], opened.user.id, actor);
      return { ...opened, actor, others };
    }

    it('ends no other login (endOtherLogin: undefined)', async () => {
      const { users, user, actor, others } = await actorGone();

      expect(await users.endOtherLogin(actor, user.id, others[1])).toBeUndefined();
      expect((await liveIds(users, user.id)).sort()).toEqual([...others].sort());
    });

    it('ends none of the others (endOtherLogins: undefined)', async () => {
      const { users, user, actor, others } = await actorGone();

      expect(await users.endOtherLogins(actor, user.id)).toBeUndefined();
      expect((await liveIds(users, user.id)).sort()).toEqual([...others].sort());
    });

    it('changes no password and ends nothing (changePassword: undefined)', async () => {
      const { users, user, actor, others } = await actorGone();

      expect(await users.changePassword(actor, user.id, 'scrypt$new')).toBeUndefined();
      expect((await users.findByUsername('alice'))?.passwordHash).toBe(alice.passwordHash);
      expect((await liveIds(users, user.id)).sort()).toEqual([...others].sort());
    });

    it('deletes no account (deleteUser: false)', async () => {
      const { users, user, actor, others } = await actorGone();

      expect(await users.deleteUser(actor, user.id)).toBe(false);
      expect(await users.findByUsername('alice')).toEqual(user);
      expect((await liveIds(users, user.id)).sort()).toEqual([...others].sort());
    });
  });

  describe.skipIf(skip)('two logins ending each other at the same moment', () => {
    /** `rounds` users, each with two logins started on two instances; `race` runs the pair at once. */
    async function raceEachOther<R>(
      race: (opened: Opened, userId: number, a: string, b: string) => Promise<R[]>,
    ) {
      const opened = await open();
      const rounds = [];
      for (let round = 0; round < 5; round++) {
        const user = await created(opened.users, { ...alice, username: `user${round}` });
        const a = await opened.users.startLogin(newLogin(user.id), CAP);
        const b = await opened.other.startLogin(newLogin(user.id), CAP);
        const results = await race(opened, user.id, a.id, b.id);
        rounds.push({ results, live: await liveIds(opened.users, user.id), a: a.id, b: b.id });
      }
      return rounds;
    }

    it('lets exactly one of two "sign out all other sessions" win, on two instances', async () => {
      const rounds = await raceEachOther(({ users, other }, userId, a, b) =>
        Promise.all([users.endOtherLogins(a, userId), other.endOtherLogins(b, userId)]),
      );

      for (const { results, live, a, b } of rounds) {
        expect([...results].sort()).toEqual([1, undefined]);
        expect(live).toEqual([results[0] === undefined ? b : a]); // the winner's own login is left
      }
    });

    it('lets exactly one of two revokes of each other win, on two instances', async () => {
      const rounds = await raceEachOther(({ users, other }, userId, a, b) =>
        Promise.all([users.endOtherLogin(a, userId, b), other.endOtherLogin(b, userId, a)]),
      );

      for (const { results, live, a, b } of rounds) {
        expect([...results].sort()).toEqual([true, undefined]);
        expect(live).toEqual([results[0] === undefined ? b : a]);
      }
    });
  });

  describe.skipIf(skip)('usernamesOf', () => {
    it('names the user of each listed login, and leaves out ids that are no login', async () => {
      const { users, ids } = await withLogins(2);
      const bob = await created(users, { ...alice, username: 'bob' });
      const bobs = await users.startLogin(newLogin(bob.id), CAP);

      const names = await users.usernamesOf([...ids, bobs.id, 'A'.repeat(22)]);

      expect(names).toEqual(new Map([...ids.map((id) => [id, 'alice'] as const), [bobs.id, 'bob']]));
      expect(await users.usernamesOf([])).toEqual(new Map());
    });
  });

  describe.skipIf(skip)('pruneLogins', () => {
    it('deletes the logins past either lifetime and nothing else: how many', async () => {
      const { users } = await withLogins(0);
      const now = T + LIFETIMES.maxAgeMs;
      // each of its own user, so that starting one ends none of the others as dead
      const [ann, ben, cat] = await Promise.all(
        ['ann', 'ben', 'cat'].map((username) => created(users, { ...alice, username })),
      );
      if (!ann || !ben || !cat) throw new Error('no users');
      const live = await users.startLogin(newLogin(ann.id, now - LIFETIMES.idleMs + 1), CAP);
      const idle = await users.startLogin(newLogin(ben.id, now - LIFETIMES.idleMs), CAP);
      const old = await users.startLogin(
        newLogin(cat.id, now - LIFETIMES.maxAgeMs, { lastSeenAt: now - 1000 }),
        CAP,
      );

      const pruned = await users.pruneLogins(now);
      const again = await users.pruneLogins(now);

      expect([pruned, again]).toEqual([2, 0]);
      expect(await users.findLogin(live.id, now)).toMatchObject({ login: { id: live.id } });
      // gone from the table, not only from view: a clock turned back does not bring them back
      for (const gone of [idle, old]) expect(await users.findLogin(gone.id, gone.createdAt)).toBeUndefined();
    });
  });
});

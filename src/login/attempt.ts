import type { Request, RequestHandler, Response } from 'express';
import type { Config } from '../config';
import { bodyField } from '../http/body';
import { reply } from '../http/replies';
import type { User } from '../users/types';
import { type AuthDeps, redirectOrJson } from './current-login';
import { credentialsPage, type FormPage, type FormState } from './pages';
import { whenClientLeaves } from './semaphore';
import { startLogin } from './start-login';
import { clientIp, refundIfRefused, throttled } from './throttle';

type Purpose = 'signup' | 'login';

const REFUSED: Record<Purpose, Record<number, string>> = {
  signup: { 409: 'Username is taken', 429: 'Too many signups from this address; try again later' },
  login: { 401: 'Invalid username or password', 429: 'Too many login attempts; try again later' },
};

/** A required text field's error: missing, or sent more than once (a repeated form field). */
export function textError(raw: unknown, label: string, required = `${label} is required`) {
  if (raw === undefined || raw === '') return required;
  if (typeof raw !== 'string') return `${label} must be a single text value`;
}

/** A password field's error; `min` is 1 at login, so raising the minimum locks nobody out. */
export function passwordError(raw: unknown, label: string, min: number, max: number) {
  if (typeof raw !== 'string' || raw === '') return textError(raw, label);
  const length = [...raw].length; // code points, as NIST counts
  if (length < min) return `${label} must be at least ${min} characters`;
  if (length > max) return `${label} must be at most ${max} characters`;
}

/** Reads {username, password} from a JSON or form body; the name ASCII-lowercased. */
function readCredentials(body: unknown, rules: Config['login'], purpose: Purpose) {
  const name = bodyField(body, 'username');
  const password = bodyField(body, 'password');
  // only A-Z: String#toLowerCase would turn the Kelvin sign (U+212A) into a plain "k"
  const username = typeof name === 'string' ? name.replace(/[A-Z]/g, (c) => c.toLowerCase()) : '';
  const min = purpose === 'signup' ? rules.passwordMinLength : 1;
  const errors = {
    username: textError(name, 'Username'),
    password: passwordError(password, 'Password', min, rules.passwordMaxLength),
  };
  if (!errors.username && !/^[a-z0-9_.-]{3,32}$/.test(username))
    errors.username = 'Username must be 3 to 32 characters: letters a-z, digits, _ . or -';
  if (errors.username || errors.password) return { errors, username: username.slice(0, 64) };
  return { username, password: password as string };
}

/** A form refused: `page` shows it again with what went wrong; a JSON client gets the error. */
export function refuseForm(req: Request, res: Response, status: number, state: FormState, page: FormPage) {
  reply(req, res, status, {
    json: state.errors ? { error: 'Invalid input', fields: state.errors } : { error: state.message },
    html: () => page(state),
  });
}

/**
 * A password checked under the login throttle: counted before the hash, so parallel guesses cannot all
 * slip past, and given back if refused with a 503 (it was never checked). The user, or a status.
 */
export async function verifyPassword(
  { hasher, limiter }: AuthDeps,
  req: Request,
  res: Response,
  username: string,
  password: string,
  findUser: () => Promise<User | undefined>,
): Promise<User | 401 | 429> {
  const ip = clientIp(req);
  const verdict = await limiter.attempt(username, ip);
  if (!verdict.allowed) return throttled(res, verdict.retryAfterMs);
  const user = await refundIfRefused(
    async () => {
      const found = await findUser();
      // exactly one hash either way, so an unknown name costs what a wrong password does
      const hash = found?.passwordHash ?? hasher.dummy;
      return (await hasher.verify(hash, password, whenClientLeaves(req))) ? found : undefined;
    },
    () => limiter.refund(username, ip),
  );
  if (!user) return 401;
  await limiter.succeeded(username, ip);
  return user;
}

/**
 * POST /signup and /login: `check` counts the attempt before any name is looked up (that bounds hashes,
 * new rows and probing names by 409), then gives the user or the status to refuse with.
 */
function attemptHandler(
  deps: AuthDeps,
  purpose: Purpose,
  check: (req: Request, res: Response, username: string, password: string) => Promise<User | number>,
): RequestHandler {
  const page = (state: FormState) => credentialsPage(purpose, deps.config, state);
  return async (req, res) => {
    const input = readCredentials(req.body, deps.config.login, purpose);
    if (input.errors) return refuseForm(req, res, 400, input, page);
    const { username, password } = input;
    const user = await check(req, res, username, password);
    if (typeof user === 'number') {
      return refuseForm(req, res, user, { username, message: REFUSED[purpose][user] }, page);
    }
    await startLogin(req, user, deps);
    redirectOrJson(req, res, '/profile', { user: { username } }, purpose === 'signup' ? 201 : 200);
  };
}

/** POST /signup: a new user, logged in at once; 409 when the name is taken. */
export const signup = (deps: AuthDeps) =>
  attemptHandler(deps, 'signup', async (req, res, username, password) => {
    const { users, hasher, limiter, clock } = deps;
    const ip = clientIp(req);
    const verdict = await limiter.signup(ip);
    if (!verdict.allowed) return throttled(res, verdict.retryAfterMs);
    // refused for want of a store or a hash slot: no account was made, so no signup counts
    const user = await refundIfRefused(
      async () => {
        if (await users.findByUsername(username)) return undefined; // skip the hash when we already know
        const passwordHash = await hasher.hash(password, whenClientLeaves(req));
        return users.create({ username, passwordHash, createdAt: clock() }); // undefined: lost a race for the name
      },
      () => limiter.refundSignup(ip),
    );
    return user ?? 409;
  });

/** POST /login: one answer, 401, for an unknown name and a wrong password. */
export const login = (deps: AuthDeps) =>
  attemptHandler(deps, 'login', async (req, res, username, password) => {
    const user = await verifyPassword(deps, req, res, username, password, () =>
      deps.users.findByUsername(username),
    );
    if (typeof user === 'number' || !deps.hasher.needsRehash(user.passwordHash)) return user;
    // hashed before the cost was raised: upgrade it while we know the password, so the cheaper
    // hashes, whose quick verify tells a known name from an unknown one, go away with use
    await deps.hasher
      .hash(password)
      .then((passwordHash) => deps.users.setPasswordHash(user.id, passwordHash))
      .catch((err: Error) => req.log.warn({ reason: err?.message }, 'password rehash failed')); // next login retries
    return user;
  });

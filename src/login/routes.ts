import express, { type ErrorRequestHandler, type Request, type Response, Router } from 'express';
import { HttpError } from '../errors';
import { allow, noStore, prefersHtml, reply } from '../http/replies';
import { endSession, requireSession } from '../session/middleware';
import type { User } from '../users/types';
import { type Parsed, readCredentials } from './credentials';
import { type LoginDeps, requireLogin, startLogin } from './current-user';
import { loginPage, profilePage, signupPage } from './pages';
import type { PasswordHasher } from './password';
import { type AttemptLimiter, refundIfBusy } from './throttle';

export interface AuthDeps extends LoginDeps {
  hasher: PasswordHasher;
  limiter: AttemptLimiter;
}

const INVALID_LOGIN = 'Invalid username or password';

/** Body-parser failures as plain 4xx messages; everything else goes on to the app's error handler. */
const bodyErrors: ErrorRequestHandler = (err, _req, _res, next) => {
  if (err?.type === 'entity.parse.failed') return next(new HttpError(400, 'Invalid JSON body'));
  if (err?.type === 'entity.too.large') return next(new HttpError(413, 'Request body too large'));
  next(err);
};

const clientIp = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';
const retryAfter = (res: Response, ms: number) => res.set('Retry-After', String(Math.ceil(ms / 1000)));

/** Signup, login, logout and the profile page: forms and pages for browsers, JSON for JSON clients. */
export function authRoutes(deps: AuthDeps): Router {
  const { config, users, hasher, limiter, clock } = deps;
  const router = Router();
  const limit = config.limits.bodyLimitBytes;
  const form = express.urlencoded({ extended: false, limit }); // flat fields; a repeated one is an array
  const json = express.json({ limit });

  const loggedIn = (req: Request, res: Response, user: User, status: number) => {
    noStore(res);
    if (prefersHtml(req)) return res.vary('Accept').redirect(303, '/profile');
    res
      .vary('Accept')
      .status(status)
      .json({ user: { username: user.username } });
  };
  const formError = (
    req: Request,
    res: Response,
    purpose: 'signup' | 'login',
    status: number,
    state: {
      username: string;
      errors?: Extract<Parsed, { ok: false }>['errors'];
      message?: string;
    },
  ) =>
    reply(req, res, status, {
      json: state.errors ? { error: 'Invalid input', fields: state.errors } : { error: state.message },
      html: () => (purpose === 'signup' ? signupPage : loginPage)(config, state),
    });

  router
    .route('/signup')
    .get((req, res) =>
      reply(req, res, 200, { json: { fields: ['username', 'password'] }, html: () => signupPage(config) }),
    )
    .post(form, json, async (req, res) => {
      requireSession(req);
      const input = readCredentials(req.body, config.login, 'signup');
      if (!input.ok) return formError(req, res, 'signup', 400, input);
      const { username, password } = input.value;
      // counted before the name is looked up: bounds hashes, new rows and probing names by 409
      const ip = clientIp(req);
      const verdict = await limiter.signup(ip);
      if (!verdict.allowed) {
        retryAfter(res, verdict.retryAfterMs);
        return formError(req, res, 'signup', 429, {
          username,
          message: 'Too many signups from this address; try again later',
        });
      }
      const taken = () => formError(req, res, 'signup', 409, { username, message: 'Username is taken' });
      if (await users.findByUsername(username)) return taken(); // skip the hash when we already know
      const passwordHash = await refundIfBusy(
        () => hasher.hash(password),
        () => limiter.refundSignup(ip),
      );
      const user = await users.create({ username, passwordHash, createdAt: clock() });
      if (!user) return taken(); // lost a race for the name
      await startLogin(req, user, clock(), config);
      loggedIn(req, res, user, 201);
    })
    .all(allow('GET', 'HEAD', 'POST'));

  router
    .route('/login')
    .get((req, res) =>
      reply(req, res, 200, { json: { fields: ['username', 'password'] }, html: () => loginPage(config) }),
    )
    .post(form, json, async (req, res) => {
      requireSession(req);
      const input = readCredentials(req.body, config.login, 'login');
      if (!input.ok) return formError(req, res, 'login', 400, input);
      const { username, password } = input.value;
      const ip = clientIp(req);
      const verdict = await limiter.attempt(username, ip);
      if (!verdict.allowed) {
        retryAfter(res, verdict.retryAfterMs);
        return formError(req, res, 'login', 429, {
          username,
          message: 'Too many login attempts; try again later',
        });
      }
      const user = await users.findByUsername(username);
      // exactly one hash either way, so an unknown name costs what a wrong password does
      const matches = await refundIfBusy(
        () => hasher.verify(user?.passwordHash ?? hasher.dummy, password),
        () => limiter.refund(username, ip),
      );
      if (!user || !matches) return formError(req, res, 'login', 401, { username, message: INVALID_LOGIN });
      await limiter.succeeded(username, ip);
      // hashed before the cost was raised: upgrade it while we know the password, so the cheaper
      // hashes, whose quick verify tells a known name from an unknown one, go away with use
      if (hasher.needsRehash(user.passwordHash)) {
        await hasher
          .hash(password)
          .then((passwordHash) => users.setPasswordHash(user.id, passwordHash))
          .catch((err: Error) => req.log.warn({ reason: err?.message }, 'password rehash failed')); // next login retries
      }
      await startLogin(req, user, clock(), config);
      loggedIn(req, res, user, 200);
    })
    .all(allow('GET', 'HEAD', 'POST'));

  router
    .route('/logout')
    .post(async (req, res) => {
      await endSession(req, res, config, 'Error logging out');
      noStore(res);
      if (prefersHtml(req)) return res.vary('Accept').redirect(303, '/?logged-out'); // home says what happened
      res.vary('Accept').json({ message: 'Logged out' });
    })
    .all(allow('POST')); // GET never logs out: a link or an image on any page could

  router
    .route('/profile')
    .get(requireLogin(deps), (req, res) => {
      const user = res.locals.user as User; // set by requireLogin
      const loginAt = req.session.loginAt ?? 0;
      reply(req, res, 200, {
        json: { user: { username: user.username }, loginAt: new Date(loginAt).toISOString() },
        html: () => profilePage(user, loginAt),
      });
    })
    .all(allow('GET', 'HEAD'));

  router.use(bodyErrors);
  return router;
}

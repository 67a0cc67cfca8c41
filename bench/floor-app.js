// The least any app built on express-session can do per request: bare Express (ETag and X-Powered-By
// off) plus express-session with the lesson's options and a store that does no work at all: it keeps
// the session objects themselves in a Map and answers at once, with no copy, no JSON and no expiry.
// Not a usable store (nothing is isolated, nothing expires); it exists to measure express-session alone:
// the cookie parse, two HMACs, the SHA-1 change checks, the Session and Cookie objects, its res.end hook.
import express from 'express';
import session from 'express-session';

class NoWorkStore extends session.Store {
  sessions = new Map();
  get(sid, cb) {
    cb(null, this.sessions.get(sid) ?? null);
  }
  set(sid, sess, cb) {
    this.sessions.set(sid, sess);
    cb?.();
  }
  destroy(sid, cb) {
    this.sessions.delete(sid);
    cb?.();
  }
}

const app = express();
app.disable('x-powered-by');
app.set('etag', false);

app.use(
  session({
    secret: 'your-secret-key',
    store: new NoWorkStore(),
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, maxAge: 24 * 60 * 60 * 1000 },
  }),
);

app.get('/increment', (req, res) => {
  req.session.count = (req.session.count || 0) + 1;
  res.json({ count: req.session.count });
});

app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');

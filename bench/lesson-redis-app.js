// The lesson's minimal app on the store a user would pick for several instances: connect-redis 9 on a
// node-redis 5 client, set up as connect-redis's README shows. The session options are the lesson's,
// verbatim (bench/lesson-app.js); the only bench-specific things are REDIS_URL and PORT from the
// environment, and listening once the client is connected.
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';

const client = createClient({ url: process.env.REDIS_URL });
client.on('error', (err) => console.error(err));
await client.connect();

const app = express();

app.use(
  session({
    store: new RedisStore({ client }),
    secret: 'your-secret-key',
    resave: false, // don't save session if unmodified
    saveUninitialized: false, // don't create session until something stored
    cookie: { httpOnly: true, maxAge: 24 * 60 * 60 * 1000 }, // 24 hours
  }),
);

app.get('/increment', (req, res) => {
  req.session.count = (req.session.count || 0) + 1;
  res.json({ count: req.session.count });
});

app.get('/clear', (req, res) => {
  req.session.destroy((err) => {
    if (err) return res.status(500).send('Error clearing session');
    res.send('Session cleared');
  });
});

app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');

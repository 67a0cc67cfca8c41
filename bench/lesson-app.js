// The lesson's minimal app, options verbatim: express-session with its default MemoryStore.
// Only two things are bench-specific: the port comes from PORT, and GET /bench/sessions reports
// how many sessions the MemoryStore holds (the flood scenario reads it; no other route calls it).
import express from 'express';
import session from 'express-session';

const app = express();

app.use(
  session({
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

// bench only
app.get('/bench/sessions', (req, res) => {
  req.sessionStore.length((err, n) => (err ? res.status(500).end() : res.json({ sessions: n })));
});

app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');

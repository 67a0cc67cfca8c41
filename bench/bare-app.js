// Bare Express 5 answering the same JSON as /increment with no session: the ceiling for an Express app.
// ETag and X-Powered-By are off, as in this app, so the ceiling is the best plain Express can do.
import express from 'express';

const app = express();
app.disable('x-powered-by');
app.set('etag', false);

app.get('/increment', (_req, res) => {
  res.json({ count: 1 });
});

app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');

import express, { type ErrorRequestHandler, Router } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { onlyItsRoutes } from '../src/http/route-gate';

const ignoreErrors: ErrorRequestHandler = (err, _req, _res, next) => next(err);

describe('onlyItsRoutes', () => {
  it('passes a path none of its routes match straight on, without entering the router', () => {
    const router = Router();
    router.get('/mine', (_req, res) => res.send('mine'));
    router.use(ignoreErrors); // error handlers do not make a router match every path
    const gate = onlyItsRoutes(router);
    let passedOn = false;

    gate({ path: '/other' } as never, {} as never, () => {
      passedOn = true;
    });

    expect(passedOn).toBe(true); // synchronously: no turn of the event loop
  });

  it('routes its own paths as Express does: any case, a trailing slash, params, other methods', async () => {
    const router = Router();
    router.get('/mine', (_req, res) => res.send('mine'));
    router.get('/items/:id', (req, res) => res.send(`item ${req.params.id}`));
    router.all('/mine', (_req, res) => res.status(405).send('no'));
    const app = express().use(onlyItsRoutes(router));
    app.use((_req, res) => res.status(404).send('not here'));

    expect((await request(app).get('/MINE/')).text).toBe('mine');
    expect((await request(app).get('/items/7')).text).toBe('item 7');
    expect((await request(app).post('/mine')).status).toBe(405);
    expect((await request(app).get('/elsewhere')).text).toBe('not here');
  });

  it('always enters a router with middleware of its own', () => {
    const router = Router();
    router.use((_req, res) => res.send('everything'));
    const gate = onlyItsRoutes(router);
    let passedOn = false;

    gate({ path: '/any', method: 'GET', url: '/any' } as never, { send: () => {} } as never, () => {
      passedOn = true;
    });

    expect(passedOn).toBe(false);
  });
});

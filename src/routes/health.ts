import { Router } from 'express';
import { allow } from '../http';
import type { SessionStore } from '../stores/types';

/** Probes for load balancers: liveness never touches the store; readiness asks it. */
export function healthRoutes(store: SessionStore): Router {
  const router = Router();
  router
    .route('/healthz')
    .get((_req, res) => {
      res.json({ status: 'ok' });
    })
    .all(allow('GET', 'HEAD'));
  router
    .route('/readyz')
    .get(async (_req, res) => {
      const ready = await store.ping().then(
        () => true,
        () => false,
      );
      res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'store unavailable' });
    })
    .all(allow('GET', 'HEAD'));
  return router;
}

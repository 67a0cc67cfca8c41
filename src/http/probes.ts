import { Router } from 'express';
import { withDeadline } from '../deadline';
import { allow, sendJson } from './replies';

/**
 * Readiness probes by name, each resolving when its backend can serve. The session store's decides
 * (no visit works without it); the users' is only reported (the demo pages work without them).
 */
export type ReadinessChecks = { sessions: () => Promise<void>; users?: () => Promise<void> };

/**
 * Probes for load balancers: liveness never touches a backend; readiness asks each one within timeoutMs,
 * and fails at once when `stopping` is aborted (SIGTERM), so the balancer stops sending new visitors.
 */
export function healthRoutes(checks: ReadinessChecks, timeoutMs: number, stopping?: AbortSignal): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => sendJson(res, { status: 'ok' }));
  router.get('/readyz', async (_req, res) => {
    const probe = ([name, check]: [string, () => Promise<void>]) =>
      withDeadline(Promise.resolve().then(check), timeoutMs, `${name} check`).then(
        () => [name, 'ok'],
        () => [name, 'down'],
      );
    const report = Object.fromEntries(await Promise.all(Object.entries(checks).map(probe)));
    const status = stopping?.aborted
      ? 'shutting down'
      : report.sessions === 'ok'
        ? 'ready'
        : 'session store unavailable';
    sendJson(res.status(status === 'ready' ? 200 : 503), { status, checks: report });
  });
  router.all(['/healthz', '/readyz'], allow('GET', 'HEAD'));
  return router;
}

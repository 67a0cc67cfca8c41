import { Router } from 'express';
import { withDeadline } from '../deadline';
import { allow, sendJson } from './replies';

/** Readiness probes by name; each resolves when its backend can serve. */
export interface ReadinessChecks {
  /** decides readiness: without a writable session store the app cannot serve a visit */
  sessions: () => Promise<void>;
  /** reported only: the demo pages still work while users are unavailable */
  users?: () => Promise<void>;
}

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

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

export interface HealthOptions {
  checks: ReadinessChecks;
  /** aborted on SIGTERM: readiness fails at once so the balancer stops sending new visitors */
  stopping?: AbortSignal;
  /** deadline per check, so a silent backend cannot hang the probe */
  timeoutMs: number;
}

/** Probes for load balancers: liveness never touches a backend; readiness asks each one. */
export function healthRoutes({ checks, stopping, timeoutMs }: HealthOptions): Router {
  const router = Router();
  router
    .route('/healthz')
    .get((_req, res) => {
      sendJson(res, { status: 'ok' });
    })
    .all(allow('GET', 'HEAD'));
  router
    .route('/readyz')
    .get(async (_req, res) => {
      const probes = Object.entries(checks).map(async ([name, check]) => {
        const up = await withDeadline(Promise.resolve().then(check), timeoutMs, `${name} check`).then(
          () => true,
          () => false,
        );
        return [name, up ? 'ok' : 'down'] as const;
      });
      const report = Object.fromEntries(await Promise.all(probes));
      const status = stopping?.aborted
        ? 'shutting down'
        : report.sessions === 'ok'
          ? 'ready'
          : 'session store unavailable';
      sendJson(res.status(status === 'ready' ? 200 : 503), { status, checks: report });
    })
    .all(allow('GET', 'HEAD'));
  return router;
}

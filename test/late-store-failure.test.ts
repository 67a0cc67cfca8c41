import type { SessionData } from 'express-session';
import { describe, expect, it, onTestFinished } from 'vitest';
import { StoreUnavailableError } from '../src/errors';
import { MemorySessionStore } from '../src/stores/memory';
import { buildApp } from './helper';
import { listen } from './support/http';
import { Agent, get } from './support/process';

/** A backend that loads sessions and fails writes on cue, as a Redis that drops away mid-request would. */
class FlakyStore extends MemorySessionStore {
  failSaves = false;
  touches = 0;
  override set(key: string, session: SessionData, cb?: (err?: unknown) => void): void {
    if (this.failSaves) cb?.(new StoreUnavailableError('save failed'));
    else super.set(key, session, cb);
  }
  override touch(_key: string, _session: SessionData, cb?: (err?: unknown) => void): void {
    this.touches++;
    cb?.(new StoreUnavailableError('touch failed'));
  }
}

/** The app on a FlakyStore over one keep-alive connection, counting the connections it was served on. */
async function keepAliveClient() {
  const backend = new FlakyStore({ maxSessions: 10 });
  const server = await listen(buildApp({ backend }).app);
  onTestFinished(() => server.close());
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  onTestFinished(() => agent.destroy());
  const sockets = new Set<unknown>();
  server.server.on('connection', (socket) => sockets.add(socket));
  return {
    backend,
    sockets,
    visit: (path: string, cookie?: string) => get(agent, `${server.url}${path}`, cookie),
  };
}

describe('a store failure after the answer was decided', () => {
  it('keeps the answer and the keep-alive connection when the closing touch fails (no reset)', async () => {
    const { backend, sockets, visit } = await keepAliveClient();
    const first = await visit('/increment');

    const home = await visit('/', first.cookie); // an unmodified session: touched on the way out
    const again = await visit('/', first.cookie);

    expect(backend.touches).toBeGreaterThanOrEqual(1);
    expect([home.status, again.status]).toEqual([200, 200]);
    expect(sockets.size).toBe(1); // one connection served all three
  });

  it('answers a failed save with 503 and keeps the connection for the next request', async () => {
    const { backend, sockets, visit } = await keepAliveClient();
    const first = await visit('/increment');
    backend.failSaves = true;

    const failed = await visit('/increment', first.cookie);
    const next = await visit('/', first.cookie);

    expect(failed.status).toBe(503);
    expect(next.error).toBeUndefined();
    expect(next.status).toBe(200);
    expect(sockets.size).toBe(1);
  });
});

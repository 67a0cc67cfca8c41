import type { SessionData } from 'express-session';
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../src/errors';
import { MemorySessionStore } from '../src/stores/memory';
import { buildApp } from './helper';
import { listen } from './support/http';
import { Agent, get } from './support/process';

/** A store that loads and saves but fails to touch, as a Redis that drops away mid-request would. */
class FailingTouchStore extends MemorySessionStore {
  touches = 0;
  override touch(_sid: string, _session: SessionData, cb?: (err?: unknown) => void): void {
    this.touches++;
    cb?.(new StoreUnavailableError('touch failed'));
  }
}

describe('a store failure after the answer was sent', () => {
  it('keeps the answer and the keep-alive connection (no reset)', async () => {
    const store = new FailingTouchStore({ maxSessions: 10 });
    const { app } = buildApp({ store });
    const server = await listen(app);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    server.server.on('connection', (socket) => sockets.add(socket));
    const first = await get(agent, `${server.url}/increment`);

    const home = await get(agent, `${server.url}/`, first.cookie); // unmodified session: touched at the end
    const again = await get(agent, `${server.url}/`, first.cookie);

    expect(store.touches).toBeGreaterThanOrEqual(1);
    expect([home.status, again.status]).toEqual([200, 200]);
    expect(sockets.size).toBe(1); // one connection served all three
    agent.destroy();
    await server.close();
  });
});

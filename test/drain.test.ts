import { once } from 'node:events';
import type { RequestListener } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { createHttpServer } from '../src/http/server';
import { testConfig } from './helper';

/** The real server factory on a free loopback port; drain() as server.ts calls it on SIGTERM. */
async function serve(app: RequestListener) {
  const { server, drain } = createHttpServer(app, testConfig().limits);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, drain };
}

/** A raw keep-alive connection: what arrives on it, an answer at a time, and when it closes. */
async function rawClient(port: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  onTestFinished(() => void socket.destroy());
  let received = '';
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(received)));
  let arrived = () => {};
  socket.on('data', (chunk) => {
    received += chunk;
    arrived();
  });
  /** sends one GET and resolves with the whole answer (the test apps answer `ok`, two bytes) */
  const get = (path: string) =>
    new Promise<string>((resolve) => {
      const start = received.length;
      arrived = () => {
        if (received.endsWith('\r\n\r\nok')) resolve(received.slice(start));
      };
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    });
  return { get, closed, socket };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('drain', () => {
  it('answers a request in flight with Connection: close and then closes its connection', async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = () => {};
    const inHandler = new Promise<void>((resolve) => {
      started = resolve;
    });
    const { port, drain } = await serve((_req, res) => {
      started();
      gate.then(() => res.end('ok'));
    });
    const client = await rawClient(port);
    const answer = client.get('/slow');
    await inHandler;

    const drained = drain();
    release();

    expect(await answer).toMatch(/^HTTP\/1\.1 200 OK\r\n(.+\r\n)*Connection: close\r\n/i);
    await client.closed;
    await drained;
  });

  it('closes an idle keep-alive connection when the drain starts, not at the next sweep', async () => {
    const { port, drain } = await serve((_req, res) => res.end('ok'));
    const client = await rawClient(port);
    const first = await client.get('/'); // then it sits idle, kept alive
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] }); // no sweep

    void drain();

    expect(first).toMatch(/^HTTP\/1\.1 200 OK\r\n(.+\r\n)*Connection: keep-alive\r\n/i);
    expect(await client.closed).toBe(first); // closed, with nothing more said
  });

  it('answers, not resets, a request that had arrived on an idle connection when the drain started', async () => {
    const { port, drain } = await serve((_req, res) => res.end('ok'));
    const client = await rawClient(port);
    await client.get('/');

    const second = client.get('/next'); // written before drain(), read by the server after it
    void drain();

    expect(await second).toMatch(/^HTTP\/1\.1 200 OK\r\n(.+\r\n)*Connection: close\r\n/i);
    await client.closed;
  });
});

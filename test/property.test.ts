import { once } from 'node:events';
import { Agent, type IncomingHttpHeaders, request } from 'node:http';
import { connect } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildApp, testConfig } from './helper';
import { cookieHeader, method, revokeHandle, target, typedBody } from './support/arbitraries';
import { listen } from './support/http';

// each property runs this many generated cases; each case is followed by a normal request
const RUNS = 1000;

interface Answer {
  status: number;
  body: string;
  headers: IncomingHttpHeaders;
}

/** The app (cheap scrypt, a generous login throttle) in the real HTTP server, and a way to call it. */
async function serve() {
  const config = testConfig({ LOGIN_MAX_ATTEMPTS: '1000', LOGIN_MAX_ATTEMPTS_PER_IP: '100000' });
  const { app } = buildApp({ config });
  const { port, close } = await listen(app, config.limits);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  onTestFinished(() => {
    agent.destroy();
    void close();
  });
  const send = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
    new Promise<Answer>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
        let text = '';
        res.setEncoding('latin1');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
      });
      req.on('error', reject);
      req.end(body);
    });
  // a session that must keep counting, one by one, whatever hostile requests come in between
  const first = await send('GET', '/increment', { accept: 'application/json' });
  const cookie = /sid=[^;]+/.exec(String(first.headers['set-cookie']))?.[0] ?? '';
  let count = 1;
  const normal = async () => {
    const res = await send('GET', '/increment', { cookie, accept: 'application/json' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ count: ++count });
  };
  return { send, normal, port };
}

describe('hostile input, generated', () => {
  it(`never answers 5xx to ${RUNS} generated Cookie headers, and keeps serving`, async () => {
    const { send, normal } = await serve();
    await fc.assert(
      fc.asyncProperty(
        cookieHeader,
        fc.constantFrom('/increment', '/', '/clear', '/profile', '/sessions'),
        async (cookie, path) => {
          const res = await send('GET', path, { cookie, accept: 'application/json' });
          expect(res.status).toBeLessThan(500);
          await normal();
        },
      ),
      { numRuns: RUNS },
    );
  }, 120_000);

  it(`never answers 5xx to ${RUNS} generated methods, paths and queries, and keeps serving`, async () => {
    const { send, normal } = await serve();
    await fc.assert(
      fc.asyncProperty(
        method,
        target,
        fc.constantFrom('application/json', 'text/html', '*/*', ''),
        async (verb, path, accept) => {
          const res = await send(verb, path, accept ? { accept } : {});
          expect(res.status).toBeLessThan(500);
          await normal();
        },
      ),
      { numRuns: RUNS },
    );
  }, 120_000);

  it(`never answers 5xx to ${RUNS} generated signup and login bodies (JSON and form), and keeps serving`, async () => {
    const { send, normal } = await serve();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/signup', '/login'),
        typedBody,
        fc.constantFrom('application/json', 'text/html'),
        async (path, [type, body], accept) => {
          const res = await send('POST', path, { 'content-type': type, accept }, body);
          expect(res.status).toBeLessThan(500);
          await normal();
        },
      ),
      { numRuns: RUNS },
    );
  }, 120_000);

  it(`never answers 5xx to ${RUNS} generated revoke handles from a logged-in session, which stays logged in`, async () => {
    const { send, normal } = await serve();
    const json = { 'content-type': 'application/json', accept: 'application/json' };
    const signup = await send(
      'POST',
      '/signup',
      json,
      JSON.stringify({ username: 'alice', password: 'correct horse battery staple' }),
    );
    const cookie = /sid=[^;]+/.exec(String(signup.headers['set-cookie']))?.[0] ?? '';
    expect([signup.status, cookie]).toEqual([201, expect.stringMatching(/^sid=s%3A/)]);
    await fc.assert(
      fc.asyncProperty(revokeHandle, async (handle) => {
        const res = await send('POST', `/sessions/${handle}/revoke`, { ...json, cookie }, '{}');
        expect(res.status).toBeLessThan(500);
        expect((await send('GET', '/profile', { cookie, accept: 'application/json' })).status).toBe(200);
        await normal();
      }),
      { numRuns: RUNS },
    );
  }, 120_000);

  it(`answers or closes, never crashes, for ${RUNS} Cookie headers of raw bytes`, async () => {
    const { port, normal } = await serve();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 120 }), async (bytes) => {
        const socket = connect(port, '127.0.0.1');
        let answer = '';
        socket.on('data', (chunk) => {
          answer += chunk.toString('latin1');
        });
        socket.on('error', () => {}); // the server may reset a connection it refuses
        socket.end(
          Buffer.concat([
            Buffer.from('GET /increment HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: '),
            Buffer.from(bytes),
            Buffer.from('\r\n\r\n'),
          ]),
        );
        await once(socket, 'close');
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
        expect(status).toBeLessThan(500);
        await normal();
      }),
      { numRuns: RUNS },
    );
  }, 120_000);
});

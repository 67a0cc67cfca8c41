import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { Agent, type IncomingHttpHeaders, request } from 'node:http';
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpServer } from '../src/listen';
import { buildApp, TEST_SECRET, testConfig } from './helper';

// each property runs this many generated cases; each case is followed by a normal request
const RUNS = 1000;

interface Answer {
  status: number;
  body: string;
  headers: IncomingHttpHeaders;
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** The app (cheap scrypt, a generous login throttle) in the real HTTP server, and a way to call it. */
async function serve() {
  const config = testConfig({ LOGIN_MAX_ATTEMPTS: '1000', LOGIN_MAX_ATTEMPTS_PER_IP: '100000' });
  const { app } = buildApp({ config });
  const { server } = createHttpServer(app, config.limits);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  cleanups.push(() => {
    agent.destroy();
    server.closeAllConnections();
    server.close();
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

const sign = (sid: string) =>
  `s:${sid}.${createHmac('sha256', TEST_SECRET).update(sid).digest('base64').replace(/=+$/, '')}`;

// characters a client can put in a header value (visible ASCII, space, tab, and obs-text bytes)
const headerChar = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('\t', '%', ';', '=', '"', ',', '\\', 'é', 'ÿ', '\x80'),
);
const headerText = (maxLength: number) => fc.string({ unit: headerChar, maxLength });

const cookieName = fc.oneof(
  fc.constantFrom('sid', 'sid ', ' sid', 'SID', '__proto__', 'constructor', 'hasOwnProperty', 'toString', ''),
  headerText(12),
);
const cookieValue = fc.oneof(
  headerText(60),
  fc.string({ maxLength: 40 }).map((s) => `s:${s}`),
  fc.string({ maxLength: 40 }).map((s) => encodeURIComponent(sign(s))), // well signed, unknown ID
  fc
    .string({ maxLength: 40 })
    .map((s) => `${encodeURIComponent(sign('abc'))}${s.replace(/[^\x20-\x7e]/g, '')}`),
  fc.constantFrom('%', '%zz', '%E0%A4%A', '"', '""', 's%3A', 's:.', '.', 'a'.repeat(4096)),
);
const cookieHeader = fc.oneof(
  headerText(200),
  fc
    .array(fc.tuple(cookieName, cookieValue, fc.constantFrom(';', '; ', ';;', ' ; ', ',')), { maxLength: 6 })
    .map((pairs) => pairs.map(([n, v, sep]) => `${n}=${v}${sep}`).join('')),
);

const pathSegment = fc.oneof(
  fc.constantFrom(
    '',
    '.',
    '..',
    '%',
    '%2e%2e',
    '%zz',
    '%00',
    '%2F',
    'increment',
    'clear',
    'login',
    'signup',
    'profile',
    'logout',
    'healthz',
    'readyz',
    '__proto__',
    'constructor',
  ),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
  fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 12 }),
);
const queryPart = fc.oneof(
  fc.constantFrom(
    '__proto__[x]=1',
    'constructor[prototype][x]=1',
    'a[]=1&a[]=2',
    'a[b][c][d][e]=1',
    '=',
    '&&',
    '%',
    'count=-1',
  ),
  fc
    .tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }))
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`),
);
const route = fc.constantFrom(
  '/',
  '/increment',
  '/clear',
  '/login',
  '/signup',
  '/logout',
  '/profile',
  '/healthz',
  '/readyz',
);
const target = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.tuple(route, fc.array(queryPart, { maxLength: 4 })).map(([r, q]) => `${r}?${q.join('&')}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.array(pathSegment, { minLength: 1, maxLength: 5 }),
        fc.option(fc.array(queryPart, { maxLength: 4 })),
      )
      .map(([segments, query]) => `/${segments.join('/')}${query ? `?${query.join('&')}` : ''}`),
  },
);
const method = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS');

const credentialsValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('alice', 'ALICE', 'al', 'a'.repeat(33), 'correct horse battery staple', '\u212Aelvin', ''),
  fc.jsonValue({ maxDepth: 2 }),
);
// mostly well-formed credentials (so signup, login, 409 and 401 are reached), some hostile
const credentialFields = {
  username: fc.oneof(fc.constantFrom('alice', 'Bob_1', 'carol.x', 'dave-'), credentialsValue),
  password: fc.oneof(
    fc.constantFrom(
      'correct horse battery staple',
      'x'.repeat(15),
      'x'.repeat(128),
      'x'.repeat(129),
      'ü'.repeat(20),
    ),
    credentialsValue,
  ),
};
const credentials = fc.oneof(
  { weight: 2, arbitrary: fc.record(credentialFields) },
  { weight: 1, arbitrary: fc.record(credentialFields, { requiredKeys: [] }) },
);
const jsonBody = fc.oneof(
  { weight: 3, arbitrary: credentials.map((o) => JSON.stringify(o)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{"__proto__":{"admin":true},"username":"root"}',
      '{',
      '[]',
      'null',
      '"x"',
      '{"username":["a","b"]}',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
);
const formBody = fc.oneof(
  {
    weight: 3,
    arbitrary: credentials.map((o) =>
      Object.entries(o)
        .map(([k, v]) => `${k}=${encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v))}`)
        .join('&'),
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(
        fc.tuple(
          fc.constantFrom('username', 'password', 'username[]', 'password[x]', '__proto__', ''),
          fc.string({ maxLength: 30 }),
        ),
        { maxLength: 5 },
      )
      .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
  { weight: 1, arbitrary: fc.constantFrom('username=%zz&password=%', 'username&password', '&&&', '=&=') },
);
const oddType = fc.constantFrom(
  'application/json; charset=utf-16',
  'application/x-www-form-urlencoded; charset=koi8-r',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/json; charset=nonsense',
  'application/x-www-form-urlencoded',
  'application/json',
);
// [content type, body]: mostly matching, sometimes not
const typedBody = fc.oneof(
  { weight: 3, arbitrary: jsonBody.map((b) => ['application/json', b] as const) },
  { weight: 3, arbitrary: formBody.map((b) => ['application/x-www-form-urlencoded', b] as const) },
  { weight: 1, arbitrary: fc.tuple(oddType, fc.oneof(jsonBody, formBody)) },
);

describe('hostile input, generated', () => {
  it(`never answers 5xx to ${RUNS} generated Cookie headers, and keeps serving`, async () => {
    const { send, normal } = await serve();
    await fc.assert(
      fc.asyncProperty(
        cookieHeader,
        fc.constantFrom('/increment', '/', '/clear', '/profile'),
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

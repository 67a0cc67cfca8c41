import fc from 'fast-check';
import { signedSessionId } from '../helper';

// Generators of hostile requests for the property tests: each mixes well-formed values (so the
// interesting code paths are reached) with broken and adversarial ones.

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
  fc.string({ maxLength: 40 }).map((s) => encodeURIComponent(signedSessionId(s))), // well signed, unknown ID
  fc
    .string({ maxLength: 40 })
    .map((s) => `${encodeURIComponent(signedSessionId('abc'))}${s.replace(/[^\x20-\x7e]/g, '')}`),
  fc.constantFrom('%', '%zz', '%E0%A4%A', '"', '""', 's%3A', 's:.', '.', 'a'.repeat(4096)),
);
export const cookieHeader = fc.oneof(
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
    'sessions',
    'revoke',
    'password',
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
  '/sessions',
  '/sessions/revoke-others',
  '/password',
  '/account/delete',
  '/healthz',
  '/readyz',
);
export const target = fc.oneof(
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
export const method = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS');

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
export const typedBody = fc.oneof(
  { weight: 3, arbitrary: jsonBody.map((b) => ['application/json', b] as const) },
  { weight: 3, arbitrary: formBody.map((b) => ['application/x-www-form-urlencoded', b] as const) },
  { weight: 1, arbitrary: fc.tuple(oddType, fc.oneof(jsonBody, formBody)) },
);

const base64url = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');
// what follows /sessions/ in a revoke: well-formed login ids (unknown ones), near misses and hostile text
export const revokeHandle = fc.oneof(
  fc.string({ unit: base64url, minLength: 22, maxLength: 22 }),
  fc.string({ unit: base64url, minLength: 21, maxLength: 23 }),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.constantFrom(
    '..%2F..%2Fx',
    '%00',
    '%zz',
    '__proto__',
    'constructor',
    'revoke-others',
    'A'.repeat(4096),
    '%2e%2e',
  ),
);

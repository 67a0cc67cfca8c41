import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { claimedSessionId } from '../src/lock';

// express-session's own cookie parser (cookie 0.7, no types installed)
const { parse } = createRequire(import.meta.url)('cookie') as {
  parse: (header: string) => Record<string, string | undefined>;
};

const SID = 'AbCdEfGhIjKlMnOpQrStUvWxYz012-_9';
const signed = `s:${SID}.c2lnbmF0dXJl`;

// what express-session would look up: the `cookie` package's first value for the name
const expected = (header: string) => {
  const raw = parse(header).sid;
  if (!raw?.startsWith('s:')) return undefined;
  const sid = raw.slice(2, raw.lastIndexOf('.'));
  return /^[\w-]{32}$/.test(sid) ? sid : undefined;
};

describe('claimedSessionId, read in one pass', () => {
  it('finds what the cookie parser finds, whatever surrounds the session cookie', () => {
    const pair = fc.oneof(
      fc.constantFrom(`sid=${signed}`, `sid=${encodeURIComponent(signed)}`, `sid="${signed}"`, 'sid=x'),
      fc.constantFrom(` sid =\t${signed} `, 'sid', '=sid', 'sidx=1', 'xsid=2', 'a=b', 'sid=%zz'),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 5 }), fc.constantFrom(';', '; ', ' ;'), (pairs, sep) => {
        const header = pairs.join(sep);
        expect(claimedSessionId(header, 'sid')).toBe(expected(header));
      }),
      { numRuns: 2000 },
    );
  });
});

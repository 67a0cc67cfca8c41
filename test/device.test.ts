import { describe, expect, it } from 'vitest';
import { describeDevice } from '../src/login/start-login';

describe('describeDevice', () => {
  it.each([
    [
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      'Chrome 131 on Linux',
    ],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15',
      'Safari 17 on macOS',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
      'Firefox 133 on Windows',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
      'Microsoft Edge 131 on Windows',
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
      'Safari 17 on iOS',
    ],
    [
      'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
      'Chrome 131 on Android',
    ],
  ])('names the browser, its major version and the OS without its version: %s', (ua, expected) => {
    expect(describeDevice(ua)).toBe(expected);
  });

  it.each([undefined, '', '   ', 'node'])(
    'says "unknown device" when there is nothing to parse: %j',
    (ua) => {
      expect(describeDevice(ua)).toBe('unknown device');
    },
  );

  it('keeps a hostile User-Agent to 100 printable characters', () => {
    const description = describeDevice(`${'\u0000x'.repeat(5000)}/1 ${'y'.repeat(5000)}`);

    expect(description.length).toBeLessThanOrEqual(100);
    expect(description).toMatch(/^[\x20-\x7e]+$/);
  });
});

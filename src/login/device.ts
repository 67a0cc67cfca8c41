import Bowser from 'bowser';

const MAX_LENGTH = 100;
const MAX_PARSED = 512; // a real User-Agent is far shorter; this bounds the parser's work on a hostile one

// printable ASCII only: bowser's generic fallback copies a name straight out of the header
const clean = (s: string | undefined) => (s ?? '').replace(/[^\x20-\x7e]/g, '').trim();

/**
 * A short description of the device behind a User-Agent for the session list, e.g. "Chrome 131 on
 * Linux": the browser and its major version, the OS without its version (browsers freeze it in the
 * reduced User-Agent: macOS 10_15_7, Windows NT 10.0). "unknown device" when there is nothing to parse.
 */
export function describeDevice(userAgent: string | undefined): string {
  const ua = userAgent?.slice(0, MAX_PARSED).trim();
  if (!ua) return 'unknown device';
  const { browser, os } = Bowser.parse(ua);
  const major = clean(browser.version).match(/^\d+/)?.[0];
  const name = [clean(browser.name), clean(browser.name) ? major : undefined].filter(Boolean).join(' ');
  const system = clean(os.name);
  const description = system ? `${name || 'unknown browser'} on ${system}` : name;
  return (description || 'unknown device').slice(0, MAX_LENGTH);
}

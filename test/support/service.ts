/**
 * Decides whether a suite that needs an outside service runs: true when `missing` is undefined; otherwise
 * throws under CI=true (a missing service fails CI) or prints `skipping <suite>: <missing>` and returns false.
 * Use: `describe.skipIf(!serviceAvailable('redis store', reason))(...)`.
 */
export function serviceAvailable(suite: string, missing: string | undefined): boolean {
  if (missing === undefined) return true;
  if (process.env.CI === 'true') throw new Error(`${suite}: ${missing} (required under CI=true)`);
  console.warn(`skipping ${suite}: ${missing}`);
  return false;
}

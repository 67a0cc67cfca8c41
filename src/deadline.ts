import { StoreUnavailableError } from './errors';

/** Rejects with StoreUnavailableError when the promise has not settled within ms. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what = 'store call'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

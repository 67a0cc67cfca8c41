import { StoreUnavailableError } from './errors';

/** Rejects with StoreUnavailableError when the promise has not settled within ms. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what = 'store call'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StoreUnavailableError(`${what} timed out after ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
